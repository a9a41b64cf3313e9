//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; not
//! part of the API): the JSON bodies of `POST /v1/run` and
//! `POST /v1/dispatch` as the routes read them, and the config file. Each
//! panics when an invariant does not hold; inputs are capped.

use std::path::Path;

use isobox::{Limits, ModuleSource};
use serde_json::{Map, Value};

use crate::api::RunBody;
use crate::config::ServeConfig;
use crate::limits::LimitValues;

/// The largest input any entry point looks at.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// A request body (first byte: the route and the tenant's ceiling; the rest
/// the JSON): parsed as `POST /v1/run` parses it, or, for a dispatch, as
/// `POST /v1/dispatch` splits it (the worker's `request` taken out, `input`
/// and `form` refused) before the same parse. Invariants: no panic; a
/// module source written back reads back the same; limits under a ceiling
/// never pass it, and absent ones are the defaults lowered to it.
pub fn request_body(data: &[u8]) {
    let Some((&mode, json)) = data.split_first() else {
        return;
    };
    if json.len() > MAX_INPUT_BYTES {
        return;
    }
    let body: Option<Value> = if mode & 1 == 0 {
        let _ = serde_json::from_slice::<RunBody>(json);
        serde_json::from_slice(json).ok()
    } else {
        let Ok(mut body) = serde_json::from_slice::<Map<String, Value>>(json) else {
            return;
        };
        if body.contains_key("input") || body.contains_key("form") || body.remove("request").is_none() {
            return;
        }
        let _ = serde_json::from_value::<RunBody>(Value::Object(body.clone()));
        Some(Value::Object(body))
    };
    // A module, written back as the API writes it, reads back the same.
    if let Some(Value::Object(modules)) = body.as_ref().and_then(|b| b.get("modules")) {
        for module in modules.values() {
            if let Ok(source) = serde_json::from_value::<ModuleSource>(module.clone()) {
                let written = serde_json::to_value(&source).expect("a module source serialises");
                let read: ModuleSource = serde_json::from_value(written.clone())
                    .unwrap_or_else(|e| panic!("{written} does not read back: {e}"));
                assert_eq!(read, source);
            }
        }
    }
    let Some(limits) = body.as_ref().and_then(|b| b.get("limits")) else {
        return;
    };
    let Ok(values) = serde_json::from_value::<LimitValues>(limits.clone()) else {
        return;
    };
    let defaults = Limits::default();
    let ceiling = if mode & 2 == 0 {
        defaults.clone()
    } else {
        LimitValues {
            wall_time_ms: Some(100),
            fuel: Some(1000),
            memory_bytes: Some(1 << 20),
            stack_bytes: Some(4096),
            result_bytes: Some(10),
            log_bytes: Some(0),
            log_lines: Some(1),
            code_bytes: Some(u32::MAX),
            input_bytes: Some(7),
        }
        .over(&defaults)
    };
    let over = values.over(&defaults);
    if values == LimitValues::default() {
        assert_eq!(over, defaults);
    }
    if let Ok(limits) = values.within(&ceiling) {
        assert!(limits.wall_time <= ceiling.wall_time);
        assert!(limits.fuel <= ceiling.fuel);
        assert!(limits.memory_bytes <= ceiling.memory_bytes);
        assert!(limits.stack_bytes <= ceiling.stack_bytes);
        assert!(limits.result_bytes <= ceiling.result_bytes);
        assert!(limits.log_bytes <= ceiling.log_bytes);
        assert!(limits.log_lines <= ceiling.log_lines);
        assert!(limits.code_bytes <= ceiling.code_bytes);
        assert!(limits.input_bytes <= ceiling.input_bytes);
        if values.fuel.is_none() {
            assert_eq!(limits.fuel, defaults.fuel.min(ceiling.fuel));
        }
    }
}

/// A config file's text, read as `isobox serve --config` reads it, with
/// its files relative to a directory that does not exist and `key_env`
/// variables set only when their name starts with `K`. Text naming files
/// (`file`, `ca_files`, `component`, `wit`) or holding TOML's `\u` escapes
/// is skipped: the fuzzer must not read the machine's files.
/// Invariants: no panic; a loaded config has a run slot and a queue wait,
/// and every tenant a key and ceilings that pass the limits' own checks.
pub fn config(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if ["file", "component", "wit", "\\u", "\\U"]
        .iter()
        .any(|word| text.contains(word))
    {
        return;
    }
    let env = |name: &str| name.starts_with('K').then(|| format!("key-of-{name}"));
    let Ok(config) = ServeConfig::from_toml_str(text, Some(Path::new("/nonexistent/isobox-fuzz")), env) else {
        return;
    };
    assert!(config.server.max_in_flight >= 1);
    assert!(config.server.max_queue_wait_ms >= 1);
    let _ = (config.server.shutdown_grace(), config.server.max_queue_wait());
    for tenant in config.tenants() {
        assert!(!tenant.key_digests.is_empty(), "tenant {} has no key", tenant.id);
        assert!(
            tenant.max_limits.validate_with_memory_ceiling(u64::MAX).is_ok(),
            "tenant {}",
            tenant.id
        );
        for name in &tenant.egress {
            assert!(
                tenant.egress_by_name.contains_key(name),
                "tenant {}: policy {name}",
                tenant.id
            );
        }
    }
}
