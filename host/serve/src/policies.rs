//! Egress policies of the serve config, kept so each can be built again
//! with a tenant's own credentials, and those credentials' checks.

use std::path::{Path, PathBuf};

use isobox::egress::{Credential, EgressPolicy, EgressPolicyBuilder, PolicyError};

use super::error::ConfigError;

/// Where a policy's settings are, kept to build it again with a tenant's
/// credentials.
pub(crate) enum PolicySource {
    File(PathBuf),
    Inline(String),
}

impl PolicySource {
    pub(crate) fn of(name: &str, table: toml::Table, base: Option<&Path>) -> Result<PolicySource, ConfigError> {
        match table.get("file") {
            Some(file) if table.len() == 1 => {
                let file = file
                    .as_str()
                    .ok_or_else(|| ConfigError::Invalid(format!("policy {name}: `file` must be a path")))?;
                Ok(PolicySource::File(relative_to(base, Path::new(file))))
            }
            Some(_) => Err(ConfigError::Invalid(format!(
                "policy {name}: give either `file` alone or the policy's own keys inline"
            ))),
            None => toml::to_string(&table)
                .map(PolicySource::Inline)
                .map_err(|e| ConfigError::Invalid(format!("policy {name}: {e}"))),
        }
    }

    /// The policy, with `credentials` before its own.
    pub(crate) fn build(&self, name: &str, credentials: Vec<Credential>) -> Result<EgressPolicy, ConfigError> {
        let invalid = |e: PolicyError| ConfigError::Invalid(format!("policy {name}: {e}"));
        let builder = match self {
            PolicySource::File(path) => EgressPolicyBuilder::from_toml_file(path),
            PolicySource::Inline(text) => EgressPolicyBuilder::from_toml_str(text),
        }
        .map_err(invalid)?;
        builder.credentials_first(credentials).build().map_err(invalid)
    }
}

pub(crate) fn relative_to(base: Option<&Path>, path: &Path) -> PathBuf {
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_owned(),
    }
}

/// A tenant's `[[credential]]` tables, in the policy file's format, with
/// `value_env` read through `env` now; each is checked as a policy would.
pub(crate) fn tenant_credentials(
    id: &str,
    tables: Vec<toml::Table>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<Credential>, ConfigError> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::with_capacity(tables.len());
    for (index, mut table) in tables.into_iter().enumerate() {
        if let Some(toml::Value::String(variable)) = table.get("value_env").cloned()
            && !table.contains_key("value")
        {
            let value = env(&variable).filter(|v| !v.is_empty()).ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "tenant {id}: credential #{}: the environment variable {variable} is not set",
                    index + 1
                ))
            })?;
            table.remove("value_env");
            table.insert("value".into(), toml::Value::String(value));
        }
        entries.push(toml::Value::Table(table));
    }
    let mut file = toml::Table::new();
    file.insert("credential".into(), toml::Value::Array(entries));
    let invalid = |e: PolicyError| ConfigError::Invalid(format!("tenant {id}: {e}"));
    // The text holds secrets: errors from it carry no source line.
    let text = toml::to_string(&file).map_err(|e| ConfigError::Invalid(format!("tenant {id}: credential: {e}")))?;
    let mut builder = EgressPolicyBuilder::from_toml_str(&text).map_err(invalid)?;
    let credentials = builder.take_credentials();
    // Checked alone too (under a policy that lets every origin out, so
    // only the credentials themselves are judged): a mistake in one is
    // reported even for a tenant whose policies would not take it.
    EgressPolicyBuilder::new()
        .allow(isobox::egress::Rule::host("*"))
        .credentials_first(credentials.clone())
        .build()
        .map_err(invalid)?;
    Ok(credentials)
}
