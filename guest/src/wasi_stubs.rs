//! What wasi-libc would import from the host for files, the environment,
//! terminals, clocks and `exit`, answered inside the guest instead.
//!
//! A sandbox is granted no directory, no environment variable and no
//! terminal, so the host's answers to these imports are always the same:
//! an empty list, an empty list, none. wasi-libc's clocks are WASI 0.2.0's,
//! which the host serves exactly as the later 0.2 clocks the guest's own
//! code imports, so they are read through those. Every import a component has is
//! wired up again each time it is instantiated (a lowering, a trampoline, a
//! function reference per import), so the guest defines the symbols
//! wasi-libc calls them through, and the linker resolves them here rather
//! than importing them. What they return is what the host would have
//! returned; the methods of a file descriptor are never reached, since with
//! no preopened directory there is no descriptor to call them on.
//!
//! The symbols' names and signatures are those of wasi-libc's bindings for
//! WASI 0.2 (`__wasm_import_*`), as the built guest's import section shows
//! them; results wider than a register are written through the last
//! parameter, a pointer.

#![cfg(target_arch = "wasm32")]
#![allow(non_snake_case, clippy::missing_safety_doc)]

/// `wasi:filesystem/preopens.get-directories`: no preopened directory. The
/// result is a `list<tuple<descriptor, string>>` written as (pointer,
/// length).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __wasm_import_filesystem_preopens_get_directories(ret: *mut usize) {
    // SAFETY: wasi-libc passes a pointer to two words for the list.
    unsafe { write_empty_list(ret) }
}

/// `wasi:cli/environment.get-environment`: no variable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __wasm_import_environment_get_environment(ret: *mut usize) {
    // SAFETY: wasi-libc passes a pointer to two words for the list.
    unsafe { write_empty_list(ret) }
}

/// `wasi:cli/terminal-stdin.get-terminal-stdin`: not a terminal.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __wasm_import_terminal_stdin_get_terminal_stdin(ret: *mut u8) {
    // SAFETY: wasi-libc passes a pointer to an `option<terminal-input>`,
    // whose first byte is the discriminant.
    unsafe { ret.write(0) }
}

/// `wasi:cli/terminal-stdout.get-terminal-stdout`: not a terminal.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __wasm_import_terminal_stdout_get_terminal_stdout(ret: *mut u8) {
    // SAFETY: as for stdin.
    unsafe { ret.write(0) }
}

/// `wasi:cli/terminal-stderr.get-terminal-stderr`: not a terminal.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __wasm_import_terminal_stderr_get_terminal_stderr(ret: *mut u8) {
    // SAFETY: as for stdin.
    unsafe { ret.write(0) }
}

/// `wasi:clocks/monotonic-clock.now` of WASI 0.2.0, which wasi-libc uses:
/// the same host clock as the 0.2 version the guest's own code imports, so
/// read through that one import.
#[unsafe(no_mangle)]
pub extern "C" fn __wasm_import_monotonic_clock_now() -> i64 {
    wasip2::clocks::monotonic_clock::now() as i64
}

/// `wasi:clocks/wall-clock.now` of WASI 0.2.0, read as the monotonic one
/// is. The result is a `datetime` record: the seconds (u64) at offset 0, the
/// nanoseconds (u32) at offset 8.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __wasm_import_wall_clock_now(ret: *mut u8) {
    let now = wasip2::clocks::wall_clock::now();
    // SAFETY: wasi-libc passes a pointer to a `datetime`, 8-byte aligned
    // and 16 bytes long.
    unsafe {
        ret.cast::<u64>().write(now.seconds);
        ret.add(8).cast::<u32>().write(now.nanoseconds);
    }
}

/// Defines each `__wasm_import_*` symbol listed, with its parameters'
/// types, as a function that traps.
macro_rules! trapping_imports {
    ($($name:ident($($param:ty),*);)*) => {
        $(
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($(_: $param),*) {
                core::arch::wasm32::unreachable()
            }
        )*
    };
}

trapping_imports! {
    // `wasi:cli/exit.exit`: the host would end the instance with a trap;
    // so does this.
    __wasm_import_exit_exit(i32);
    // The resources the functions above never hand out: dropping one, or
    // calling a descriptor's method, cannot happen.
    __wasm_import_terminal_input_terminal_input_drop(i32);
    __wasm_import_terminal_output_terminal_output_drop(i32);
    __wasm_import_filesystem_descriptor_drop(i32);
    __wasm_import_filesystem_method_descriptor_read_via_stream(i32, i64, i32);
    __wasm_import_filesystem_method_descriptor_write_via_stream(i32, i64, i32);
    __wasm_import_filesystem_method_descriptor_append_via_stream(i32, i32);
    __wasm_import_filesystem_method_descriptor_get_flags(i32, i32);
    __wasm_import_filesystem_method_descriptor_stat(i32, i32);
    __wasm_import_filesystem_method_descriptor_metadata_hash(i32, i32);
}

/// Writes an empty list (a null pointer and a length of 0) at `ret`.
///
/// # Safety
///
/// `ret` must point at two writable, aligned words.
unsafe fn write_empty_list(ret: *mut usize) {
    // SAFETY: the caller's promise.
    unsafe {
        ret.write(0);
        ret.add(1).write(0);
    }
}
