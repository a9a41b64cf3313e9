//! npm packages in served runs: `[npm]` names the registry (and the
//! egress policy its traffic goes through, never a run's own), and each
//! tenant's `packages` and `packages_deny` patterns say which packages its
//! runs may name in `dependencies` (none unless listed).

use std::path::PathBuf;

use serde::Deserialize;

use super::error::ConfigError;

/// `[npm]`: where served runs' packages come from. Without it, a run that
/// names dependencies is refused.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NpmSettings {
    /// The registry URL. Default `https://registry.npmjs.org/`.
    pub registry: Option<String>,
    /// The environment variable holding the registry's token (sent to the
    /// registry's own origin only).
    pub token_env: Option<String>,
    /// A `[policies]` entry the registry's traffic goes through instead of
    /// the default (GET to the registry's host only).
    pub policy: Option<String>,
    /// `exports` conditions in priority order. Default workerd, worker,
    /// browser.
    pub conditions: Vec<String>,
    /// Where tarballs and resolutions are cached. Default the isobox cache
    /// (`$ISOBOX_CACHE_DIR/npm`, ...).
    pub cache_dir: Option<PathBuf>,
}

/// Checks a tenant's patterns when the config loads.
pub(crate) fn check_patterns(tenant: &str, patterns: &[String]) -> Result<(), ConfigError> {
    for pattern in patterns {
        let ok = isobox_npm::is_name_pattern(pattern);
        if !ok {
            return Err(ConfigError::Invalid(format!(
                "tenant {tenant}: {pattern:?} is not a package pattern (a name, @scope/* or *)"
            )));
        }
    }
    Ok(())
}

impl NpmSettings {
    /// The linker these settings describe, with `policies` to find a named
    /// egress policy in.
    pub(crate) fn npm(
        &self,
        policies: &std::collections::BTreeMap<String, isobox::egress::Egress>,
    ) -> Result<isobox_npm::Npm, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid(format!("[npm]: {message}"));
        let mut registry = match &self.registry {
            Some(url) => isobox_npm::Registry::new(url).map_err(|e| invalid(e.to_string()))?,
            None => isobox_npm::Registry::npmjs(),
        };
        if let Some(var) = &self.token_env {
            let token = std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(format!("token_env {var}: the variable is not set")))?;
            registry = registry.with_token(token);
        }
        if let Some(name) = &self.policy {
            let egress = policies
                .get(name)
                .ok_or_else(|| invalid(format!("no egress policy named \"{name}\" in [policies]")))?;
            registry = registry.with_egress(egress.clone());
        }
        let cache = match &self.cache_dir {
            Some(dir) => isobox_npm::Cache::at(dir),
            None => isobox_npm::Cache::default_location(),
        };
        let installer = isobox_npm::Installer::new(registry, cache).on_progress(|progress| {
            tracing::debug!(?progress, "npm");
        });
        let npm = isobox_npm::Npm::new(installer);
        Ok(if self.conditions.is_empty() {
            npm
        } else {
            npm.with_conditions(self.conditions.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isobox_npm::name_matches as matches;

    #[test]
    fn patterns_match_names_scopes_and_everything() {
        assert!(matches("zod", "zod"));
        assert!(!matches("zod", "zod-extra"));
        assert!(matches("@hono/*", "@hono/zod-validator"));
        assert!(!matches("@hono/*", "@honox/x"));
        assert!(!matches("@hono/*", "hono"));
        assert!(matches("*", "anything"));
        assert!(check_patterns("t", &["zod".into(), "@a/*".into(), "*".into()]).is_ok());
        assert!(check_patterns("t", &["a/*".into()]).is_err());
        assert!(check_patterns("t", &["../x".into()]).is_err());
    }
}
