// The ceiling: a bare node:http server answering the benchmark's questions straight from PostgreSQL with
// `pg` — one query per page, and for a purchase the statements the three services execute, in one process,
// without HTTP between them (and likewise for a refund). Nothing the shop does can be faster than this on the
// same machine. The statements are the repositories' own, imported (prepared ones are prepared here too), so the
// ceiling cannot drift from what it bounds.
import http from 'node:http';
import crypto from 'node:crypto';
import pg from 'pg';
import { BALANCE, CREDIT, DEBIT } from '../services/customers/src/data/wallet.repo';
import { FIND_ITEM } from '../services/inventory/src/data/items.repo';
import { RETURN, TAKE } from '../services/inventory/src/data/reservations.repo';
import { ITEM_SUMMARY } from '../services/reviews/src/data/reviews.repo';
import { STORE_ANSWER } from '../services/sales/src/data/idempotency-keys.repo';
import { TAKE_ATTEMPT } from '../services/sales/src/data/purchase-attempts.repo';
import { COMPLETE_REFUND, INSERT_REFUND, LINES_LEFT, LOCK_SALE } from '../services/sales/src/data/refunds.repo';
import { COMPLETE, INSERT_PENDING, priceArrays } from '../services/sales/src/data/sales.repo';

const pools = {
  customers: new pg.Pool({ connectionString: process.env.CUSTOMERS_DATABASE_URL, max: 10 }),
  inventory: new pg.Pool({ connectionString: process.env.INVENTORY_DATABASE_URL, max: 10 }),
  sales: new pg.Pool({ connectionString: process.env.SALES_DATABASE_URL, max: 10 }),
  reviews: new pg.Pool({ connectionString: process.env.REVIEWS_DATABASE_URL, max: 10 }),
};

/**
 * The purchase's database work, statement for statement as the services run it (each service's data/). The price
 * read of the balance pre-check is left out: sales serves it from its goods cache (GOODS_MAX_AGE_MS) most of the time.
 */
async function purchase(customerId: string, sessionId: string, itemIds: string[]) {
  const saleId = crypto.randomUUID();
  const quantities = itemIds.map(() => 1);
  // sales: the purchase limit's counter (PURCHASES_PER_MINUTE, far out of reach here)
  await pools.sales.query({ ...TAKE_ATTEMPT, values: [customerId, 1_000_000_000] });
  // sales: the pending sale and its lines in one statement
  await pools.sales.query({ ...INSERT_PENDING, values: [saleId, customerId, 'ceiling', itemIds, quantities] });
  // inventory: the whole basket in one database function
  const { rows } = await pools.inventory.query<{ item_id: string; item_name: string; unit_price_cents: string; quantity: number }>({
    ...TAKE,
    values: [saleId, itemIds, quantities],
  });
  const total = rows.reduce((sum, row) => sum + Number(row.unit_price_cents) * row.quantity, 0);
  // customers: the balance pre-check (before the reservation in the shop; its order does not change the work)
  await pools.customers.query({ ...BALANCE, values: [customerId] });
  // customers: the debit is one database function, which checks the buyer's session under its row lock
  await pools.customers.query({ ...DEBIT, values: [customerId, total, saleId, sessionId] });
  // sales: completed with each line's name and price, answered with its lines
  const price = {
    lines: rows.map((row) => ({ itemId: row.item_id, itemName: row.item_name, unitPriceCents: Number(row.unit_price_cents) })),
    totalCents: total,
  };
  await pools.sales.query({ ...COMPLETE, values: [saleId, ...priceArrays(price), total] });
  return { id: saleId };
}

/** A refund of one unit, statement for statement as sales, customers and inventory run it (each service's data/). */
async function refund(saleId: string, itemId: string) {
  const refundId = crypto.randomUUID();
  const inTransaction = async <T>(work: (client: pg.PoolClient) => Promise<T>) => {
    const client = await pools.sales.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
  // sales: the sale locked, what is left read, the refund and its line recorded (refunds.repo record)
  const recorded = await inTransaction(async (client) => {
    const [sale] = (await client.query<{ customer_id: string }>(LOCK_SALE, [saleId])).rows;
    const lines = (await client.query<{ item_id: string; quantity: number; unit_price_cents: string; recorded: number }>(LINES_LEFT, [saleId])).rows;
    const line = lines.find((l) => l.item_id === itemId);
    if (!sale || !line || line.quantity - line.recorded < 1) throw new Error('nothing left to refund');
    const amount = Number(line.unit_price_cents);
    const refundLines = [{ itemId, quantity: 1, amountCents: amount }];
    await client.query(INSERT_REFUND, [refundId, saleId, sale.customer_id, amount, null, true, [itemId], [1], [amount], JSON.stringify(refundLines)]);
    return { customerId: sale.customer_id, amount };
  });
  // customers: the credit is one database function (wallet.repo credit); inventory: the return too (reservations.repo returnStock)
  await pools.customers.query({ ...CREDIT, values: [recorded.customerId, recorded.amount, refundId] });
  await pools.inventory.query({ ...RETURN, values: [refundId, [itemId], [1]] });
  // sales: completed, added to the sale and its line, the key's answer stored (refunds.repo complete)
  await inTransaction(async (client) => {
    await client.query(COMPLETE_REFUND, [refundId, 0]);
    await client.query(STORE_ANSWER.refund, [refundId, 201, '{}']);
  });
  return { id: refundId };
}

const routes: Record<string, (url: URL, body: string) => Promise<unknown>> = {
  // The reads ask what the services answer: a list page comes with its total (count(*) OVER () — the
  // cheapest way to get both in one statement), and an item's reviews page with its rating summary, after
  // asking inventory's database whether the item exists (the reviews service asks inventory on every read).
  '/items': async () =>
    (
      await pools.inventory.query(
        `SELECT id, name, category, price_cents, description, stock_count, created_at, updated_at, count(*) OVER () AS total FROM items
       WHERE deleted_at IS NULL AND category = 'electronics' ORDER BY price_cents DESC, id LIMIT 20`,
      )
    ).rows,
  '/item': async (url) => (await pools.inventory.query({ ...FIND_ITEM, values: [url.searchParams.get('id')] })).rows[0],
  '/goods': async () =>
    (
      await pools.inventory.query(
        'SELECT id, name, price_cents, count(*) OVER () AS total FROM items WHERE deleted_at IS NULL AND stock_count > 0 ORDER BY created_at, id LIMIT 20',
      )
    ).rows,
  '/reviews': async (url) => {
    const item = url.searchParams.get('item');
    const [exists, page] = await Promise.all([
      pools.inventory.query({ ...FIND_ITEM, values: [item] }),
      pools.reviews.query({ ...ITEM_SUMMARY, values: [item] }),
    ]);
    return exists.rows.length ? page.rows : null;
  },
  '/refund': async (_url, body) => {
    const { saleId, itemId } = JSON.parse(body);
    return refund(saleId, itemId);
  },
  '/purchase': async (_url, body) => {
    const { customerId, sessionId, itemId, itemIds } = JSON.parse(body);
    return purchase(customerId, sessionId, itemIds ?? [itemId]);
  },
};

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      routes[url.pathname]!(url, body).then(
        (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))),
        (error) => res.writeHead(500).end(String(error)),
      );
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
