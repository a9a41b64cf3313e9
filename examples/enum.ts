// Constructs that need more than erasing types are refused before any Wasm runs.
enum Color {
  Red,
  Green,
}
export default () => Color.Red;
