//! Plugin capabilities of the serve config: their paths and WIT checked
//! when the config is read, their components compiled once with the engine.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use isobox::Capability;

use super::error::ConfigError;
use super::policies::relative_to;

/// The built-in capabilities a tenant may be allowed.
pub const BUILTIN_CAPABILITIES: [&str; 3] = ["kv", "todo", "workspace"];

/// `[plugins.NAME]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PluginFile {
    component: PathBuf,
    wit: PathBuf,
    #[serde(default)]
    interface: Option<String>,
}

/// A plugin capability: where its files are, and once compiled, itself.
#[derive(Clone)]
pub(crate) struct PluginEntry {
    pub component: PathBuf,
    pub wit: PathBuf,
    pub interface: Option<String>,
    pub capability: Option<Capability>,
}

/// Checks a plugin's paths and WIT; the component is compiled later, with
/// the engine ([`ServeConfig::load_plugins`](super::ServeConfig::load_plugins)).
pub(crate) fn check_plugin(name: &str, plugin: PluginFile, base: Option<&Path>) -> Result<PluginEntry, ConfigError> {
    let error = |message: String| ConfigError::Plugin {
        name: name.to_owned(),
        message,
    };
    if BUILTIN_CAPABILITIES.contains(&name) {
        return Err(error(format!(
            "\"{name}\" is a built-in capability's name: choose another"
        )));
    }
    if !isobox::capability::valid_binding_name(name) {
        return Err(error(
            "a plugin's name is its env.NAME: use letters, digits and _".into(),
        ));
    }
    let component = relative_to(base, &plugin.component);
    let wit = relative_to(base, &plugin.wit);
    match std::fs::metadata(&component) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(error(format!("component {} is not a file", component.display()))),
        Err(e) => return Err(error(format!("cannot read component {}: {e}", component.display()))),
    }
    let package = isobox::capability::WitPackage::load(&wit).map_err(|e| error(format!("WIT: {e}")))?;
    if let Some(interface) = &plugin.interface {
        package.interface(interface).map_err(|e| error(format!("WIT: {e}")))?;
    } else if package.interface_names().len() != 1 {
        return Err(error(format!(
            "WIT {} has interfaces {}: name one with `interface`",
            wit.display(),
            package.interface_names().join(", ")
        )));
    }
    Ok(PluginEntry {
        component,
        wit,
        interface: plugin.interface,
        capability: None,
    })
}
