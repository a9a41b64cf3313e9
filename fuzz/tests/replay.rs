//! Replays every file of `regressions/<target>/` (minimised crashers, kept
//! once fixed) and `corpus/<target>/` (the seeds) through the target's body,
//! on stable Rust and without libFuzzer: `scripts/fuzz.sh --smoke` (and so
//! `make test`) runs it, so a crash once found stays fixed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

#[test]
fn every_regression_and_seed_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    let mut failures = Vec::new();
    for folder in ["regressions", "corpus"] {
        let Ok(targets) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for target in targets {
            let target = target.expect("a readable folder");
            if !target.path().is_dir() {
                continue;
            }
            let name = target.file_name().to_string_lossy().into_owned();
            let body = isobox_fuzz::target(&name).unwrap_or_else(|| panic!("{folder}/{name}: no target of that name"));
            let mut files: Vec<_> = std::fs::read_dir(target.path())
                .expect("a readable folder")
                .map(|entry| entry.expect("a readable entry").path())
                .filter(|path| path.is_file())
                .collect();
            files.sort();
            for file in files {
                let data = std::fs::read(&file).expect("a readable file");
                replayed += 1;
                if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
                    failures.push(file.display().to_string());
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(replayed > 0, "no input found under {}", root.display());
}

#[test]
fn every_target_has_a_binary_and_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in isobox_fuzz::TARGETS {
        assert!(
            root.join(format!("fuzz_targets/{name}.rs")).is_file(),
            "fuzz_targets/{name}.rs"
        );
        let seeds = std::fs::read_dir(root.join(format!("corpus/{name}")))
            .map(|dir| dir.count())
            .unwrap_or(0);
        assert!(seeds > 0, "corpus/{name} has no seed");
    }
}

/// Built with the fuzz targets' flags (`scripts/fuzz.sh --smoke`), this test
/// shares their compiled dependencies, whose SanitizerCoverage hooks
/// libFuzzer's runtime would define. Without libFuzzer, they do nothing.
#[cfg(fuzzing)]
mod coverage_hooks {
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_8bit_counters_init(_start: *mut u8, _end: *mut u8) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_pcs_init(_start: *const usize, _end: *const usize) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_pc_indir(_callee: usize) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_cmp1(_a: u8, _b: u8) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_cmp2(_a: u16, _b: u16) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_cmp4(_a: u32, _b: u32) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_cmp8(_a: u64, _b: u64) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_const_cmp1(_a: u8, _b: u8) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_const_cmp2(_a: u16, _b: u16) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_const_cmp4(_a: u32, _b: u32) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_const_cmp8(_a: u64, _b: u64) {}
    #[unsafe(no_mangle)]
    extern "C" fn __sanitizer_cov_trace_switch(_value: u64, _cases: *const u64) {}
}
