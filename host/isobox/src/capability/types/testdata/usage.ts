// Code an agent might write against env.d.ts and values.d.ts (the
// generated declarations), for scripts/check-capability-types.sh: what is
// right must compile under --strict, and each line marked @ts-expect-error
// must not (tsc fails if such a line compiles), so the declarations are
// neither too loose nor too strict.

declare const console: { log(...values: unknown[]): void };

export async function shop(): Promise<void> {
  const found: env.shop.Item[] = await env.shop.search("lamp");
  await env.shop.search("lamp", 3);
  await env.shop.search("lamp", null);
  const item = await env.shop.getItem("sku-1");
  if (item !== null) {
    const cents: number = item.priceCents;
    const rating: number | null | undefined = item.rating;
    console.log(cents, rating, found.length);
  }
  const order = await env.shop.placeOrder([["sku-1", 2]], { giftWrap: true });
  const id: number | bigint = order.id;
  switch (order.status) {
    case "pending":
    case "shipped":
    case "delivered":
      break;
    default: {
      const exhaustive: never = order.status;
      console.log(exhaustive);
    }
  }
  for (const event of await env.shop.history(0n, ["shipped"])) {
    if (event.tag === "created") {
      const created: env.shop.Order = event.val;
      console.log(created.items[0][1]);
    } else if (event.tag === "status-changed") {
      const status: env.shop.Status = event.val;
      console.log(status);
    }
  }
  const error: env.shop.OrderError = { tag: "out-of-stock", val: ["sku-1", 0] };
  await env.shop.setNote(id, "gift");
  await env.shop.setNote(1, undefined);
  await env.shop.ping();
  console.log(error);

  // @ts-expect-error: a limit is a number
  await env.shop.search("lamp", "3");
  // @ts-expect-error: not an enum case
  await env.shop.history(0, ["lost"]);
  // @ts-expect-error: flags have only giftWrap and express
  await env.shop.placeOrder([], { giftWrap: true, fast: true });
  // @ts-expect-error: an item has more required fields
  const partial: env.shop.Item = { sku: "x" };
  // @ts-expect-error: not a variant case
  const unknown: env.shop.OrderError = { tag: "lost" };
  // @ts-expect-error: this case carries a payload
  const missing: env.shop.OrderError = { tag: "not-found" };
  // @ts-expect-error: getItem may give null
  const sure: env.shop.Item = await env.shop.getItem("sku-1");
  console.log(partial, unknown, missing, sure);
}

export async function kv(): Promise<void> {
  const bytes: Uint8Array | null = await env.kv.get("k");
  await env.kv.put("k", new Uint8Array([1, 2]));
  const existed: boolean = await env.kv.delete("k");
  const keys: string[] = await env.kv.list("");
  console.log(bytes, existed, keys);

  // @ts-expect-error: no such method
  await env.kv.gett("k");
  // @ts-expect-error: a value is required
  await env.kv.put("k");
  // @ts-expect-error: a value is bytes
  await env.kv.put("k", "v");
}

export async function values(): Promise<void> {
  const big: number | bigint = await env.values.echoU64(10n);
  await env.values.echoS64(-1);
  const shape: env.values.Shape = { tag: "maybe" };
  const rect: env.values.Shape = { tag: "rect", val: { x: 1, y: 2 } };
  const outcome: env.values.Outcome = { value: { ok: 1 }, bare: { err: null } };
  const perms: env.values.Perms = {};
  const four: Uint8Array = await env.values.echoFixed(new Uint8Array(4));
  const points: [env.values.Point, env.values.Point] = await env.values.echoFixedPoints([{ x: 1, y: 2 }, { x: 0, y: 0 }]);
  await env.values.optionalTail("a");
  await env.values.optionalTail("a", 1, "c");
  await env.values.echoNamed({});
  await env.values.echoOption();
  const color: "red" | "dark-green" | "blue" = await env.values.echoColor("dark-green");
  const pair: [string, number, boolean] = await env.values.echoTuple(["a", 1, true]);
  const results = await env.values.echoResults([{ ok: 1 }, { err: "no" }]);
  console.log(big, shape, rect, outcome, perms, color, pair, results, four, points);

  // @ts-expect-error: the payload is a number
  const circle: env.values.Shape = { tag: "circle", val: "1" };
  // @ts-expect-error: exactly two points
  await env.values.echoFixedPoints([{ x: 1, y: 2 }]);
  // @ts-expect-error: a u32 is a number, not a BigInt
  await env.values.echoU32(1n);
  // @ts-expect-error: a record needs its required fields
  await env.values.echoPoint({ x: 1 });
  // @ts-expect-error: too many arguments
  await env.values.optionalTail("a", 1, "c", "d");
  // @ts-expect-error: a result is { ok } or { err }
  await env.values.echoResults([{ value: 1 }]);
  console.log(circle);
}
