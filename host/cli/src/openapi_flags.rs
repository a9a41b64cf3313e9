//! `--openapi`, `--openapi-auth` and `--openapi-ca`: HTTP APIs described by
//! OpenAPI specs, each granted as env.NAME with one method per operation.

use std::path::PathBuf;

use clap::Args;
use isobox::Capability;
use isobox_openapi::{Connection, OpenApiSpec};

#[derive(Args, Default)]
pub struct OpenApiArgs {
    /// Grant an HTTP API as env.NAME from its OpenAPI 3.0/3.1 spec (JSON or
    /// YAML): one method per operation, calls sent to BASE_URL (default:
    /// the spec's first server) and nowhere else (repeatable).
    #[arg(long, value_name = "NAME=SPEC[@BASE_URL]")]
    openapi: Vec<String>,
    /// A credential the host adds to NAME's requests: SCHEME is a security
    /// scheme of the spec, or `bearer` or `basic`; ENV_VAR holds the token,
    /// key or user:password. Sent over https only; the code never sees it
    /// (repeatable).
    #[arg(long, value_name = "NAME=SCHEME:ENV_VAR")]
    openapi_auth: Vec<String>,
    /// Trust these PEM root certificates for the --openapi base URLs too.
    #[arg(long, value_name = "FILE.pem")]
    openapi_ca: Vec<PathBuf>,
}

/// One `--openapi` flag, parsed.
struct Flag {
    name: String,
    spec: PathBuf,
    base_url: Option<String>,
}

impl OpenApiArgs {
    fn flags(&self) -> Result<Vec<Flag>, String> {
        let mut flags = Vec::with_capacity(self.openapi.len());
        for text in &self.openapi {
            let usage = || format!("--openapi {text}: expected NAME=SPEC[@BASE_URL]");
            let (name, rest) = text.split_once('=').ok_or_else(usage)?;
            if !isobox::capability::valid_binding_name(name) {
                return Err(format!(
                    "--openapi {text}: \"{name}\" cannot be a name in env: use letters, digits and _"
                ));
            }
            let (spec, base_url) = match rest.rfind('@') {
                Some(at) if rest[at + 1..].starts_with("http://") || rest[at + 1..].starts_with("https://") => {
                    (&rest[..at], Some(rest[at + 1..].to_owned()))
                }
                _ => (rest, None),
            };
            if spec.is_empty() {
                return Err(usage());
            }
            flags.push(Flag {
                name: name.to_owned(),
                spec: spec.into(),
                base_url,
            });
        }
        Ok(flags)
    }

    /// The names the flags give in env.
    pub fn names(&self) -> Result<Vec<String>, String> {
        Ok(self.flags()?.into_iter().map(|f| f.name).collect())
    }

    /// The capabilities, by name: each spec loaded and checked, each
    /// connection built (credentials read from the environment now).
    pub fn capabilities(&self) -> Result<Vec<(String, Capability)>, String> {
        let flags = self.flags()?;
        let mut pems = Vec::with_capacity(self.openapi_ca.len());
        for path in &self.openapi_ca {
            pems.push(std::fs::read(path).map_err(|e| format!("--openapi-ca {}: {e}", path.display()))?);
        }
        for auth in &self.openapi_auth {
            let name = auth.split_once('=').map(|(n, _)| n).unwrap_or(auth);
            if !flags.iter().any(|f| f.name == name) {
                return Err(format!("--openapi-auth {auth}: no --openapi grants env.{name}"));
            }
        }
        let mut out = Vec::with_capacity(flags.len());
        for flag in flags {
            let spec = OpenApiSpec::from_file(&flag.spec)
                .map_err(|e| format!("--openapi {}: {}: {e}", flag.name, flag.spec.display()))?;
            let mut connection = Connection::new();
            if let Some(url) = &flag.base_url {
                connection = connection.base_url(url);
            }
            for auth in &self.openapi_auth {
                let usage = || format!("--openapi-auth {auth}: expected NAME=SCHEME:ENV_VAR");
                let (name, rest) = auth.split_once('=').ok_or_else(usage)?;
                if name != flag.name {
                    continue;
                }
                let (scheme, variable) = rest.split_once(':').ok_or_else(usage)?;
                connection = connection.auth(scheme, variable);
            }
            for pem in &pems {
                connection = connection.add_root_certificates_pem(pem);
            }
            let capability =
                isobox_openapi::connect(spec, &connection).map_err(|e| format!("--openapi {}: {e}", flag.name))?;
            out.push((flag.name, capability));
        }
        Ok(out)
    }
}
