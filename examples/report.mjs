// An ES module: the default export is called with (input, env).
export default async function (input) {
  const total = input.orders.reduce((sum, order) => sum + order.amount, 0);
  await Promise.resolve();
  return { orders: input.orders.length, total, average: total / input.orders.length };
}
