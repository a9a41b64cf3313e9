// The realistic workload: parse a ~2 KB order (20 line items) with a zod
// schema, compute its totals in integer cents and return them as a JSON
// string. esbuild bundles this file with zod into one self-contained script
// per shape (scripts/peers/build-workloads.sh); every peer runs the same code.
import * as z from "zod/mini";
import orderText from "./order.json";

// zod 4 compiles object parsers with `new Function` where eval is allowed and
// skips that where it is not (workerd). Off everywhere, so every peer runs the
// same parser; set before any schema exists, as zod reads it at creation.
z.config({ jitless: true });

function schema() {
  const money = z.number().check(z.nonnegative(), z.multipleOf(0.01));
  const item = z.object({
    sku: z.string().check(z.regex(/^SKU-\d{4}$/)),
    name: z.string().check(z.minLength(1), z.maxLength(80)),
    category: z.enum(["tools", "garden", "kitchen", "office", "toys"]),
    quantity: z.int().check(z.positive(), z.lte(100)),
    unitPrice: money,
    discount: z.optional(z.number().check(z.gte(0), z.lt(1))),
  });
  return z.object({
    id: z.string().check(z.startsWith("ord_")),
    customer: z.object({
      id: z.string(),
      name: z.string().check(z.minLength(1)),
      email: z.email(),
    }),
    currency: z.enum(["EUR", "USD", "GBP"]),
    createdAt: z.iso.datetime(),
    items: z.array(item).check(z.minLength(1), z.maxLength(100)),
    shipping: z.object({ method: z.enum(["standard", "express"]), cost: money }),
    coupon: z.optional(z.string()),
  });
}

const TAX_RATE = 0.2;
const COUPONS = { WINTER10: 0.1 };

export function run() {
  const order = schema().parse(JSON.parse(orderText));
  const byCategory = {};
  let subtotal = 0;
  let discounts = 0;
  let units = 0;
  for (const line of order.items) {
    const gross = Math.round(line.unitPrice * 100) * line.quantity;
    const off = Math.round(gross * (line.discount ?? 0));
    subtotal += gross;
    discounts += off;
    units += line.quantity;
    byCategory[line.category] = (byCategory[line.category] ?? 0) + gross - off;
  }
  const coupon = Math.round((subtotal - discounts) * (COUPONS[order.coupon] ?? 0));
  const net = subtotal - discounts - coupon;
  const tax = Math.round(net * TAX_RATE);
  const shipping = Math.round(order.shipping.cost * 100);
  const cents = (n) => (n / 100).toFixed(2);
  const categories = {};
  for (const name of Object.keys(byCategory).sort()) categories[name] = cents(byCategory[name]);
  return JSON.stringify({
    order: order.id,
    customer: order.customer.email,
    lines: order.items.length,
    units,
    subtotal: cents(subtotal),
    discounts: cents(discounts + coupon),
    tax: cents(tax),
    shipping: cents(shipping),
    total: cents(net + tax + shipping),
    currency: order.currency,
    categories,
  });
}
