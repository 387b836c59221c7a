import { admin, api, serviceAuth, sql, unique } from '@shop/testkit';

export interface ItemBody {
  name: string;
  category: 'food' | 'clothes' | 'accessories' | 'electronics';
  priceCents: number;
  description?: string;
  stockCount: number;
}

export const itemBody = (overrides: Partial<ItemBody> = {}): ItemBody => ({
  name: unique('item-'),
  category: 'food',
  priceCents: 1999,
  description: 'A test item',
  stockCount: 10,
  ...overrides,
});

/** Creates an item through the API (as admin) and returns its JSON. */
export async function newItem(overrides: Partial<ItemBody> = {}) {
  const res = await api('inventory').post('/items').set((await admin()).auth).send(itemBody(overrides));
  if (res.status !== 201) throw new Error(`item creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; priceCents: number; stockCount: number; [key: string]: unknown };
}

export const reserveLines = (body: { reference: string; lines: Array<{ itemId: string; quantity: number }> }) =>
  api('inventory').post('/internal/stock/reservations').set(serviceAuth('inventory')).send(body);

/** A one-line basket (any other field is sent as given, beside `reference` and `lines`). */
export const reserve = ({ reference, itemId, quantity, ...rest }: { reference: string; itemId: string; quantity: number; [field: string]: unknown }) =>
  api('inventory').post('/internal/stock/reservations').set(serviceAuth('inventory')).send({ reference, lines: [{ itemId, quantity }], ...rest });

export const release = (reference: string) => api('inventory').post('/internal/stock/releases').set(serviceAuth('inventory')).send({ reference });

export async function storedStock(itemId: string): Promise<number> {
  const [row] = await sql('inventory', 'SELECT stock_count FROM items WHERE id = $1', [itemId]);
  return row.stock_count as number;
}

/** The stock history must always add up to the stock count. */
export async function movementsSum(itemId: string): Promise<number> {
  const [row] = await sql('inventory', 'SELECT coalesce(sum(delta), 0)::int AS total FROM stock_movements WHERE item_id = $1', [itemId]);
  return row.total as number;
}
