// TypeScript runs directly: types are stripped on the host, positions kept.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/typed.ts --input '{"orders":[{"id":"a","amount":5},{"id":"b","amount":9}]}'
// exit 0
// stdout {"count":2,"largest":"b"}
interface Order {
  id: string;
  amount: number;
}

export default (input: { orders: Order[] }): { count: number; largest: string } => {
  const sorted = [...input.orders].sort((a: Order, b: Order) => b.amount - a.amount);
  return { count: sorted.length, largest: sorted[0]!.id };
};
