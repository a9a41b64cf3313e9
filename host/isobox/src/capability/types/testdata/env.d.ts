// A method marked @throws E rejects with an Error whose .value is the E.
declare namespace env {
  namespace shop {
    /** A product in the catalogue. */
    interface Item {
      /** Stock-keeping unit, unique. */
      sku: string;
      title: string;
      priceCents: number;
      tags: string[];
      /** Absent until the item is rated. */
      rating?: number | null;
    }
    interface Options { giftWrap?: boolean; express?: boolean }
    type Status = "pending" | "shipped" | "delivered";
    interface Order {
      id: number | bigint;
      items: [string, number][];
      status: Status;
      options: Options;
      note?: string | null;
      receipt?: Uint8Array | null;
    }
    /** Why an order failed. */
    type OrderError =
      /** No item with this SKU. */
      | { tag: "not-found"; val: string }
      | { tag: "out-of-stock"; val: [string, number] }
      | { tag: "payment-declined" };
    type Event =
      | { tag: "created"; val: Order }
      | { tag: "status-changed"; val: Status }
      | { tag: "cancelled" };
  }
  /** The shop: search the catalogue and place orders, scoped to the tenant. */
  const shop: {
    /** Finds items whose title contains `query`, at most `limit`. */
    search(query: string, limit?: number | null): Promise<shop.Item[]>;
    getItem(sku: string): Promise<shop.Item | null>;
    /** Places an order for (SKU, quantity) pairs. @throws shop.OrderError */
    placeOrder(lines: [string, number][], options: shop.Options): Promise<shop.Order>;
    history(since: number | bigint, kinds: shop.Status[]): Promise<shop.Event[]>;
    /** @throws string */
    setNote(id: number | bigint, note?: string | null): Promise<void>;
    ping(): Promise<void>;
  };
  /** In-memory key-value store, scoped per tenant. */
  const kv: {
    /** The value of `key`, or null. */
    get(key: string): Promise<Uint8Array | null>;
    put(key: string, value: Uint8Array): Promise<void>;
    /** Whether the key existed. */
    delete(key: string): Promise<boolean>;
    /** Keys starting with `prefix`, sorted. */
    list(prefix: string): Promise<string[]>;
  };
}
