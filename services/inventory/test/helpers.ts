import { api, serviceAuth, sql } from '@shop/testkit';

export { itemBody, newItem, type ItemBody } from '@shop/testkit';

export const reserveLines = (body: { reference: string; lines: Array<{ itemId: string; quantity: number }> }) =>
  api('inventory').post('/internal/stock/reservations').set(serviceAuth('inventory')).send(body);

/** A one-line basket (any other field is sent as given, beside `reference` and `lines`). */
export const reserve = ({ reference, itemId, quantity, ...rest }: { reference: string; itemId: string; quantity: number; [field: string]: unknown }) =>
  api('inventory')
    .post('/internal/stock/reservations')
    .set(serviceAuth('inventory'))
    .send({ reference, lines: [{ itemId, quantity }], ...rest });

export const release = (reference: string) => api('inventory').post('/internal/stock/releases').set(serviceAuth('inventory')).send({ reference });

/** The stock history must always add up to the stock count. */
export async function movementsSum(itemId: string): Promise<number> {
  const [row] = await sql('inventory', 'SELECT coalesce(sum(delta), 0)::int AS total FROM stock_movements WHERE item_id = $1', [itemId]);
  return row.total as number;
}
