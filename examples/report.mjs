// An ES module: the default export is called with (input, env).
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/report.mjs --input '{"orders":[{"amount":12.5},{"amount":30},{"amount":7.5}]}'
// exit 0
// stdout {"orders":3,"total":50,"average":16.666666666666668}
export default async function (input) {
  const total = input.orders.reduce((sum, order) => sum + order.amount, 0);
  await Promise.resolve();
  return { orders: input.orders.length, total, average: total / input.orders.length };
}
