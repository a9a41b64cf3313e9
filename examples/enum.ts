// Constructs that need more than erasing types are refused before any Wasm runs.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/enum.ts
// exit 1
// stderr error [compile / syntax-error] at line 6, column 1: SyntaxError: enum.ts: TypeScript enum is not supported
enum Color {
  Red,
  Green,
}
export default () => Color.Red;
