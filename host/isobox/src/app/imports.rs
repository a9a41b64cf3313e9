//! The check that a built component imports only what the `wasi:http/proxy`
//! world offers, and exports `wasi:http/incoming-handler`.

use wasmparser::{Parser, Payload};

use super::BuildError;

/// The interfaces of the `wasi:http/proxy` world (any 0.2.x version).
pub const PROXY_IMPORTS: [&str; 11] = [
    "wasi:io/poll",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/stdin",
    "wasi:http/types",
    "wasi:http/outgoing-handler",
];

/// The component's imports, when all are in the proxy world and it exports
/// the incoming handler.
pub(super) fn check(component: &[u8]) -> Result<Vec<String>, BuildError> {
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(component) {
        let payload = payload.map_err(|e| BuildError::Snapshot(format!("the component does not parse: {e}")))?;
        match payload {
            // Only the outer component's own imports and exports count.
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) if depth > 0 => depth -= 1,
            Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    let import = import.map_err(|e| BuildError::Snapshot(e.to_string()))?;
                    imports.push(import.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    let export = export.map_err(|e| BuildError::Snapshot(e.to_string()))?;
                    exports.push(export.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    let outside: Vec<String> = imports.iter().filter(|name| !in_proxy_world(name)).cloned().collect();
    if !outside.is_empty() {
        return Err(BuildError::Imports(outside));
    }
    if !exports
        .iter()
        .any(|name| interface(name) == "wasi:http/incoming-handler")
    {
        return Err(BuildError::Snapshot(
            "the component does not export wasi:http/incoming-handler".into(),
        ));
    }
    Ok(imports)
}

/// `wasi:io/poll@0.2.12` → `wasi:io/poll`.
fn interface(name: &str) -> &str {
    name.split_once('@').map_or(name, |(interface, _)| interface)
}

fn in_proxy_world(name: &str) -> bool {
    let version = name.split_once('@').map(|(_, v)| v);
    PROXY_IMPORTS.contains(&interface(name)) && version.is_some_and(|v| v.starts_with("0.2."))
}

#[cfg(test)]
mod tests {
    use super::{check, in_proxy_world};
    use crate::app::BuildError;

    #[test]
    fn the_sandbox_guest_is_refused_with_its_isobox_imports() {
        let Err(BuildError::Imports(names)) = check(crate::snapshot::GUEST_COMPONENT) else {
            panic!("the sandbox guest imports isobox interfaces");
        };
        assert!(
            names.iter().any(|n| n.starts_with("isobox:sandbox/console@")),
            "{names:?}"
        );
        let message = BuildError::Imports(names).to_string();
        assert!(
            message.contains("which the wasi:http/proxy world does not offer"),
            "{message}"
        );
    }

    #[test]
    fn the_sandbox_guest_imports_no_files_environment_terminals_or_exit() {
        // guest/src/wasi_stubs.rs answers these inside the guest; were its
        // symbols no longer wasi-libc's, the imports would come back.
        let Err(BuildError::Imports(names)) = check(crate::snapshot::GUEST_COMPONENT) else {
            panic!("the sandbox guest imports isobox interfaces");
        };
        let unwanted = [
            "wasi:filesystem/",
            "wasi:cli/environment@",
            "wasi:cli/exit@",
            "wasi:cli/terminal-",
        ];
        let found: Vec<&String> = names
            .iter()
            .filter(|name| unwanted.iter().any(|prefix| name.starts_with(prefix)))
            .collect();
        assert!(found.is_empty(), "the sandbox guest imports {found:?}");
    }

    #[test]
    fn the_app_guest_imports_only_the_proxy_world() {
        let imports = check(super::super::APP_COMPONENT).expect("the app guest is a proxy component");
        assert!(
            imports.iter().any(|n| n.starts_with("wasi:http/outgoing-handler@0.2.")),
            "{imports:?}"
        );
    }

    #[test]
    fn bytes_that_are_not_a_component_are_refused() {
        assert!(matches!(check(b"not wasm"), Err(BuildError::Snapshot(_))));
    }

    #[test]
    fn only_proxy_interfaces_of_wasi_0_2_pass() {
        assert!(in_proxy_world("wasi:http/types@0.2.12"));
        assert!(in_proxy_world("wasi:io/poll@0.2.0"));
        assert!(!in_proxy_world("wasi:filesystem/types@0.2.12"));
        assert!(!in_proxy_world("wasi:cli/environment@0.2.12"));
        assert!(!in_proxy_world("isobox:sandbox/console@0.1.0"));
        assert!(!in_proxy_world("wasi:http/types@0.3.0"));
        assert!(!in_proxy_world("wasi:http/types"));
    }
}
