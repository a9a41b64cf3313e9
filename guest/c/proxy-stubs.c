/*
 * Stand-ins for the WASI imports that wasi-libc references but a built app
 * (`isobox build`, the guest's `proxy` feature) never needs, so the component
 * imports only what the wasi:http/proxy world offers.
 *
 * wasi-libc calls each import through an undefined symbol named
 * `__wasm_import_<interface>_<function>`; a definition in the link takes the
 * place of the import. These report what a proxy host has: no environment
 * variables, no preopened directories, no terminals. The file-descriptor
 * methods can only be reached through a descriptor, and there is none, so
 * they trap, as does `exit`. Hidden: none of them is exported.
 */
#include <stdint.h>

#define STUB __attribute__((visibility("hidden")))

/* list<tuple<string, string>>: an empty list (pointer, length). */
STUB void __wasm_import_environment_get_environment(int32_t *ret) {
  ret[0] = 0;
  ret[1] = 0;
}

/* list<tuple<descriptor, string>>: no preopened directories. */
STUB void __wasm_import_filesystem_preopens_get_directories(int32_t *ret) {
  ret[0] = 0;
  ret[1] = 0;
}

/* option<terminal-*>: none, the streams are not terminals. */
STUB void __wasm_import_terminal_stdin_get_terminal_stdin(uint8_t *ret) { ret[0] = 0; }
STUB void __wasm_import_terminal_stdout_get_terminal_stdout(uint8_t *ret) { ret[0] = 0; }
STUB void __wasm_import_terminal_stderr_get_terminal_stderr(uint8_t *ret) { ret[0] = 0; }

/* No terminal or descriptor handle is ever given out: nothing to drop. */
STUB void __wasm_import_terminal_input_terminal_input_drop(int32_t handle) { (void)handle; }
STUB void __wasm_import_terminal_output_terminal_output_drop(int32_t handle) { (void)handle; }
STUB void __wasm_import_filesystem_descriptor_drop(int32_t handle) { (void)handle; }

/* Unreachable without a descriptor. */
STUB void __wasm_import_filesystem_method_descriptor_read_via_stream(int32_t self, int64_t offset, uint8_t *ret) {
  (void)self, (void)offset, (void)ret;
  __builtin_trap();
}
STUB void __wasm_import_filesystem_method_descriptor_write_via_stream(int32_t self, int64_t offset, uint8_t *ret) {
  (void)self, (void)offset, (void)ret;
  __builtin_trap();
}
STUB void __wasm_import_filesystem_method_descriptor_append_via_stream(int32_t self, uint8_t *ret) {
  (void)self, (void)ret;
  __builtin_trap();
}
STUB void __wasm_import_filesystem_method_descriptor_get_flags(int32_t self, uint8_t *ret) {
  (void)self, (void)ret;
  __builtin_trap();
}
STUB void __wasm_import_filesystem_method_descriptor_stat(int32_t self, uint8_t *ret) {
  (void)self, (void)ret;
  __builtin_trap();
}
STUB void __wasm_import_filesystem_method_descriptor_metadata_hash(int32_t self, uint8_t *ret) {
  (void)self, (void)ret;
  __builtin_trap();
}

/* wasi:cli/exit: the instance ends. */
STUB void __wasm_import_exit_exit(int32_t status) {
  (void)status;
  __builtin_trap();
}
