import { readCache, UpstreamUnavailable, ValidationFailed, z, type PageQuery, type ServiceClient } from '@shop/kit';

const SERVICE = 'inventory';

export const item = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  priceCents: z.number().int(),
  description: z.string(),
  stockCount: z.number().int(),
  lowStockThreshold: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Item = z.output<typeof item>;

const itemPage = z.object({
  data: z.array(item),
  total: z.number().int(),
  totalIsEstimate: z.boolean(),
  limit: z.number().int(),
  nextCursor: z.string().nullable(),
});

const reservation = z.object({
  reference: z.string(),
  lines: z.array(
    z.object({
      itemId: z.string(),
      quantity: z.number().int(),
      itemName: z.string(),
      unitPriceCents: z.number().int().min(0),
      stockCount: z.number().int(),
    }),
  ),
});
export type Reservation = z.output<typeof reservation>;

export type ReserveResult =
  | { outcome: 'reserved'; reservation: Reservation }
  /** The 0-based positions of the lines inventory named. */
  | { outcome: 'insufficient_stock' | 'not_found'; lines: number[] }
  /** The reference was voided (an undo got there first) or used for something else. */
  | { outcome: 'refused' };

/** The line positions a refusal names in `errors[].path` (`lines.<n>.…`). */
function namedLines(body: { errors?: Array<{ path?: unknown }> } | undefined): number[] {
  const lines = (body?.errors ?? []).map((error) => /^lines\.(\d+)\./.exec(String(error.path))?.[1]).filter((n) => n !== undefined);
  return [...new Set(lines.map(Number))];
}

/** The errors of inventory's 400 for a cursor, as they name it (`query.after`). */
function cursorErrors(body: unknown): Array<{ path: string; message: string }> {
  const errors = (body as { errors?: Array<{ path?: unknown; message?: unknown }> } | undefined)?.errors ?? [];
  const named = errors.map((error) => ({ path: String(error.path), message: String(error.message) })).filter((error) => error.path === 'query.after');
  return named.length ? named : [{ path: 'query.after', message: 'is not a cursor of this list' }];
}

/** An answer the agreed API does not allow: as unknown as a timeout, so the caller undoes. */
function unexpected(status: number, body: unknown): never {
  throw new UpstreamUnavailable(SERVICE, `answered ${status} unexpectedly: ${JSON.stringify(body)?.slice(0, 200)}`);
}

function parse<T extends z.ZodType>(schema: T, status: number, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  return result.success ? result.data : unexpected(status, body);
}

/** A catalogue answer as read (the value and inventory's ETag of it), or undefined for a 404. */
type CatalogueRead = { value: unknown; etag: string } | undefined;

/** Goods answers kept per process: a page holds at most 100 items, so 200 entries stay within a few MB. */
const GOODS_CACHE_ENTRIES = 200;

/**
 * Inventory as sales uses it. Every call carries the request id; reads and the reference-keyed stock
 * operations are safe to repeat, so all retry unknown outcomes. Unknown outcomes throw UpstreamUnavailable.
 * The shop window's reads (listInStock, item) go through a per-process cache: served for at most
 * `goodsMaxAgeMs` from the answer's arrival, then revalidated with inventory by ETag (a 304 keeps the value, no
 * body sent) while readers keep getting the old answer for up to `goodsStaleMs` more; identical concurrent reads
 * share one call. The purchase's calls never use it: they see live stock.
 */
export function inventoryClient(http: ServiceClient, options: { goodsMaxAgeMs: number; goodsStaleMs?: number }) {
  const catalogue = readCache<CatalogueRead>({
    maxAgeMs: options.goodsMaxAgeMs,
    maxEntries: GOODS_CACHE_ENTRIES,
    staleWhileRevalidateMs: options.goodsStaleMs,
  });

  async function cachedRead<T extends z.ZodType>(path: string, route: string, schema: T, requestId: string) {
    const read = await catalogue.get(path, async (previous) => {
      const { status, body, etag } = await http.call({ method: 'GET', path, route, requestId, retry: true, ifNoneMatch: previous?.etag });
      if (status === 304 && previous) return previous;
      if (status === 404) return undefined;
      // A cursor inventory refuses (another list's, or edited) is the client's mistake: its 400, never cached.
      if (status === 400 && path.includes('after=')) throw new ValidationFailed('The request is not valid', cursorErrors(body));
      return status === 200 && etag ? { value: parse(schema, status, body), etag } : unexpected(status, body);
    });
    return read && { value: read.value as z.output<T>, etag: read.etag };
  }

  return {
    /** The page and inventory's ETag of it (sales' own tag derives from it). */
    async listInStock(page: PageQuery, requestId: string) {
      const position = page.after === undefined ? `offset=${page.offset ?? 0}` : `after=${encodeURIComponent(page.after)}`;
      const read = await cachedRead(`/items?inStock=true&limit=${page.limit}&${position}`, '/items', itemPage, requestId);
      return read ? { ...read.value, etag: read.etag } : unexpected(404, undefined);
    },

    async item(id: string, requestId: string): Promise<{ item: Item; etag: string } | undefined> {
      const read = await cachedRead(`/items/${encodeURIComponent(id)}`, '/items/:id', item, requestId);
      return read && { item: read.value, etag: read.etag };
    },

    /** Takes the stock of every line for a sale (reference = sale id), or none; the answer carries each line's price and name now. */
    async reserve(input: { reference: string; lines: Array<{ itemId: string; quantity: number }> }, requestId: string): Promise<ReserveResult> {
      // A problem answer (404, 409) names the refused lines; a 200/201 body is checked against its schema.
      const { status, body } = await http.call<{ code?: unknown; errors?: Array<{ path?: unknown }> } | undefined>({
        method: 'POST',
        path: '/internal/stock/reservations',
        body: input,
        requestId,
        retry: true,
      });
      if (status === 200 || status === 201) return { outcome: 'reserved', reservation: parse(reservation, status, body) };
      if (status === 404) return { outcome: 'not_found', lines: namedLines(body) };
      if (status === 409 && body?.code === 'insufficient_stock') return { outcome: 'insufficient_stock', lines: namedLines(body) };
      if (status === 409) return { outcome: 'refused' };
      return unexpected(status, body);
    },

    /** Gives the stock back, or voids the reference if it was never taken. Idempotent. */
    async release(reference: string, requestId: string): Promise<'released' | 'already_released' | 'voided'> {
      const { status, body } = await http.call({ method: 'POST', path: '/internal/stock/releases', body: { reference }, requestId, retry: true });
      if (status !== 200) return unexpected(status, body);
      return parse(z.object({ outcome: z.enum(['released', 'already_released', 'voided']) }), status, body).outcome;
    },

    /** Puts a refund's units back in stock (reference = refund id), once. */
    async returnStock(input: { reference: string; lines: Array<{ itemId: string; quantity: number }> }, requestId: string): Promise<void> {
      const { status, body } = await http.call({ method: 'POST', path: '/internal/stock/returns', body: input, requestId, retry: true });
      if (status !== 200 && status !== 201) unexpected(status, body);
    },
  };
}
export type InventoryClient = ReturnType<typeof inventoryClient>;
