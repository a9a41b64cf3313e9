//! `[openapi.NAME]` of the serve config: an HTTP API from its OpenAPI spec,
//! loaded and checked when the config is read, granted to the tenants that
//! list NAME in `capabilities` as env.NAME with one method per operation.
//! Credentials come from environment variables read at load and are added
//! by the egress filter for the base URL's https origin only.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use isobox::Capability;
use isobox_openapi::{Connection, OpenApiSpec};

use super::error::ConfigError;
use super::plugins::BUILTIN_CAPABILITIES;
use super::policies::relative_to;

/// `[openapi.NAME]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenApiFile {
    /// The spec, JSON or YAML, relative to the config file's directory.
    spec: PathBuf,
    /// Where calls go; default: the spec's first server.
    #[serde(default)]
    base_url: Option<String>,
    /// Credentials: `{ scheme = "token", env = "GITHUB_TOKEN" }`.
    #[serde(default)]
    auth: Vec<AuthFile>,
    /// PEM files of extra trusted roots, relative to the config file.
    #[serde(default)]
    ca_files: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFile {
    scheme: String,
    env: String,
}

/// Loads one `[openapi.NAME]`: the spec read and checked, the connection
/// built (credential variables read now through `env`), the capability made.
pub(crate) fn load_openapi(
    name: &str,
    file: OpenApiFile,
    base: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Capability, ConfigError> {
    let error = |message: String| ConfigError::Plugin {
        name: name.to_owned(),
        message,
    };
    if BUILTIN_CAPABILITIES.contains(&name) || !isobox::capability::valid_binding_name(name) {
        return Err(error(
            "an [openapi] name is its env.NAME: letters, digits and _, not a built-in's name".into(),
        ));
    }
    let path = relative_to(base, &file.spec);
    let spec = OpenApiSpec::from_file(&path).map_err(|e| error(format!("{}: {e}", path.display())))?;
    let mut connection = Connection::new();
    if let Some(url) = &file.base_url {
        connection = connection.base_url(url);
    }
    let mut values = std::collections::HashMap::new();
    for auth in &file.auth {
        connection = connection.auth(&auth.scheme, &auth.env);
        if let Some(value) = env(&auth.env) {
            values.insert(auth.env.clone(), value);
        }
    }
    connection = connection.env_lookup(move |variable| values.get(variable).cloned());
    for ca in &file.ca_files {
        let ca = relative_to(base, ca);
        let pem = std::fs::read(&ca).map_err(|e| error(format!("ca_files {}: {e}", ca.display())))?;
        connection = connection.add_root_certificates_pem(&pem);
    }
    isobox_openapi::connect(spec, &connection).map_err(|e| error(e.to_string()))
}
