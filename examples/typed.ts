// TypeScript runs directly: types are stripped on the host, positions kept.
interface Order {
  id: string;
  amount: number;
}

export default (input: { orders: Order[] }): { count: number; largest: string } => {
  const sorted = [...input.orders].sort((a: Order, b: Order) => b.amount - a.amount);
  return { count: sorted.length, largest: sorted[0]!.id };
};
