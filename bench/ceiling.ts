// The ceiling: a bare node:http server answering the benchmark's questions straight from PostgreSQL with
// `pg` — one query per page, and for a purchase the same statements the three services execute, in one
// process, without HTTP between them. Nothing the shop does can be faster than this on the same machine.
// The statements the shop prepares (named statements, planned once per connection) are prepared here too.
import http from 'node:http';
import crypto from 'node:crypto';
import pg from 'pg';

const pools = {
  customers: new pg.Pool({ connectionString: process.env.CUSTOMERS_DATABASE_URL, max: 10 }),
  inventory: new pg.Pool({ connectionString: process.env.INVENTORY_DATABASE_URL, max: 10 }),
  sales: new pg.Pool({ connectionString: process.env.SALES_DATABASE_URL, max: 10 }),
  reviews: new pg.Pool({ connectionString: process.env.REVIEWS_DATABASE_URL, max: 10 }),
};

/** The purchase's database work, statement for statement as the services run it (see each service's data/). */
async function purchase(customerId: string, itemId: string) {
  const saleId = crypto.randomUUID();
  await pools.sales.query({
    name: 'insert-pending',
    text: `INSERT INTO sales (id, customer_id, username, username_key, item_id, quantity, status, created_at, updated_at)
           VALUES ($1, $2, 'ceiling', 'ceiling', $3, 1, 'PENDING', now(), now())`,
    values: [saleId, customerId, itemId],
  });
  // inventory: a fresh reference takes its stock in one statement (services/inventory reservations.repo takeAtOnce)
  const { rows } = await pools.inventory.query({
    name: 'take',
    text: `WITH item AS (
       UPDATE items SET stock_count = stock_count - $3::int, updated_at = now()
       WHERE id = $2::uuid AND deleted_at IS NULL AND stock_count >= $3::int
         AND NOT EXISTS (SELECT 1 FROM stock_reservations WHERE reference = $1)
       RETURNING id, name, price_cents, stock_count
     ), reservation AS (
       INSERT INTO stock_reservations (reference, state, item_id, quantity, item_name, unit_price_cents, stock_after, updated_at)
       SELECT $1, 'taken', item.id, $3::int, item.name, item.price_cents, item.stock_count, now() FROM item
       RETURNING *
     ), movement AS (
       INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference)
       SELECT gen_random_uuid(), r.item_id, 'reservation', -r.quantity, r.stock_after, r.reference FROM reservation r
     )
     SELECT * FROM reservation`,
    values: [saleId, itemId, 1],
  });
  const item = { name: rows[0].item_name, price_cents: rows[0].unit_price_cents };
  // customers: the debit is one database function (services/customers wallet.repo, migration 20261125230000)
  await pools.customers.query({ name: 'debit', text: 'SELECT outcome FROM wallet_debit($1::uuid, $2::bigint, $3)', values: [customerId, item.price_cents, saleId] });
  await pools.sales.query({
    name: 'complete',
    text: `UPDATE sales SET status = 'COMPLETED', item_name = $2, unit_price_cents = $3, total_cents = $3, updated_at = now()
     WHERE id = $1 AND status = 'PENDING'
     RETURNING id::text, customer_id::text, username, item_id::text, item_name, unit_price_cents, quantity, total_cents, created_at`,
    values: [saleId, item.name, item.price_cents],
  });
  return { id: saleId };
}

const routes: Record<string, (url: URL, body: string) => Promise<unknown>> = {
  // The reads ask what the services answer: a list page comes with its total (count(*) OVER () — the
  // cheapest way to get both in one statement), and an item's reviews page with its rating summary, after
  // asking inventory's database whether the item exists (the reviews service asks inventory on every read).
  '/items': async () =>
    (await pools.inventory.query(
      `SELECT id, name, category, price_cents, description, stock_count, created_at, updated_at, count(*) OVER () AS total FROM items
       WHERE deleted_at IS NULL AND category = 'electronics' ORDER BY price_cents DESC, id LIMIT 20`,
    )).rows,
  '/item': async (url) =>
    (await pools.inventory.query({ name: 'item', text: 'SELECT * FROM items WHERE id = $1 AND deleted_at IS NULL', values: [url.searchParams.get('id')] })).rows[0],
  '/goods': async () =>
    (await pools.inventory.query(
      'SELECT id, name, price_cents, count(*) OVER () AS total FROM items WHERE deleted_at IS NULL AND stock_count > 0 ORDER BY created_at, id LIMIT 20',
    )).rows,
  '/reviews': async (url) => {
    const item = url.searchParams.get('item');
    const [exists, page] = await Promise.all([
      pools.inventory.query({ name: 'item', text: 'SELECT * FROM items WHERE id = $1 AND deleted_at IS NULL', values: [item] }),
      pools.reviews.query({
        name: 'reviews-page',
        text: `SELECT s.*, p.* FROM
           (SELECT count(*)::int AS n, round(avg(rating), 2)::float8 AS average,
                   count(*) FILTER (WHERE rating = 1)::int AS r1, count(*) FILTER (WHERE rating = 2)::int AS r2,
                   count(*) FILTER (WHERE rating = 3)::int AS r3, count(*) FILTER (WHERE rating = 4)::int AS r4,
                   count(*) FILTER (WHERE rating = 5)::int AS r5
            FROM reviews WHERE item_id = $1::uuid AND status = 'approved') s
         LEFT JOIN LATERAL
           (SELECT * FROM reviews WHERE item_id = $1::uuid AND status = 'approved' ORDER BY seq DESC LIMIT 20) p ON true`,
        values: [item],
      }),
    ]);
    return exists.rows.length ? page.rows : null;
  },
  '/purchase': async (_url, body) => {
    const { customerId, itemId } = JSON.parse(body);
    return purchase(customerId, itemId);
  },
};

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const url = new URL(req.url!, 'http://x');
      try {
        const result = await routes[url.pathname]!(url, body);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
