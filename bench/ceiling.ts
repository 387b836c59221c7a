// The ceiling: a bare node:http server answering the benchmark's questions straight from PostgreSQL with
// `pg` — one query per page, and for a purchase the same statements the three services execute, in one
// process, without HTTP between them (and likewise for a refund). Nothing the shop does can be faster than this on the same machine.
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
async function purchase(customerId: string, itemIds: string[]) {
  const saleId = crypto.randomUUID();
  const quantities = itemIds.map(() => 1);
  // sales: the pending sale and its lines in one statement (sales.repo INSERT_PENDING)
  await pools.sales.query({
    name: 'insert-pending',
    text: `WITH sale AS (
       INSERT INTO sales (id, customer_id, username, username_key, status)
       VALUES ($1::uuid, $2::uuid, 'ceiling', 'ceiling', 'PENDING') RETURNING id
     )
     INSERT INTO sale_lines (sale_id, position, item_id, quantity)
     SELECT sale.id, t.ord - 1, t.item_id, t.quantity FROM sale, unnest($3::uuid[], $4::int[]) WITH ORDINALITY t(item_id, quantity, ord)`,
    values: [saleId, customerId, itemIds, quantities],
  });
  // inventory: the whole basket in one database function (services/inventory reservations.repo, migration 20261130050000)
  const { rows } = await pools.inventory.query({ name: 'take', text: 'SELECT * FROM stock_take($1, $2::uuid[], $3::int[])', values: [saleId, itemIds, quantities] });
  const total = rows.reduce((sum, row) => sum + Number(row.unit_price_cents) * row.quantity, 0);
  // customers: the debit is one database function (services/customers wallet.repo, migration 20261125230000)
  await pools.customers.query({ name: 'debit', text: 'SELECT outcome FROM wallet_debit($1::uuid, $2::bigint, $3)', values: [customerId, total, saleId] });
  // sales: completed with each line's name and price, answered with its lines (sales.repo COMPLETE)
  await pools.sales.query({
    name: 'complete',
    text: `WITH sale AS (
       UPDATE sales SET status = 'COMPLETED', total_cents = $5, updated_at = now()
       WHERE id = $1::uuid AND status = 'PENDING'
       RETURNING id, customer_id, username, total_cents, refunded_cents, created_at, updated_at
     ), l AS (
       UPDATE sale_lines SET item_name = p.item_name, unit_price_cents = p.unit_price_cents
       FROM unnest($2::uuid[], $3::text[], $4::bigint[]) p(item_id, item_name, unit_price_cents)
       WHERE sale_lines.sale_id = $1::uuid AND sale_lines.item_id = p.item_id AND EXISTS (SELECT 1 FROM sale)
       RETURNING sale_lines.position, sale_lines.item_id, sale_lines.item_name, sale_lines.unit_price_cents,
         sale_lines.quantity, sale_lines.refunded_quantity
     )
     SELECT s.id, s.customer_id, s.username, s.total_cents, s.refunded_cents, s.created_at, s.updated_at,
       (SELECT json_agg(json_build_object('itemId', l.item_id, 'itemName', l.item_name, 'unitPriceCents', l.unit_price_cents,
          'quantity', l.quantity, 'refundedQuantity', l.refunded_quantity) ORDER BY l.position) FROM l) AS lines
     FROM sale s`,
    values: [saleId, rows.map((row) => row.item_id), rows.map((row) => row.item_name), rows.map((row) => row.unit_price_cents), total],
  });
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
    const [sale] = (await client.query(`SELECT id, customer_id, created_at FROM sales WHERE id = $1::uuid AND status = 'COMPLETED' FOR UPDATE`, [saleId])).rows;
    const lines = (
      await client.query(
        `SELECT sl.item_id, sl.quantity, sl.unit_price_cents,
           (SELECT coalesce(sum(rl.quantity), 0)::int FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
            WHERE r.sale_id = sl.sale_id AND rl.item_id = sl.item_id) AS recorded
         FROM sale_lines sl WHERE sl.sale_id = $1::uuid ORDER BY sl.position`,
        [saleId],
      )
    ).rows;
    const line = lines.find((l) => l.item_id === itemId)!;
    if (line.quantity - line.recorded < 1) throw new Error('nothing left to refund');
    const amount = Number(line.unit_price_cents);
    await client.query(
      `WITH r AS (
         INSERT INTO refunds (id, sale_id, customer_id, amount_cents, reason, restock)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6) RETURNING *
       ), l AS (
         INSERT INTO refund_lines (refund_id, position, item_id, quantity, amount_cents)
         SELECT $1::uuid, t.ord - 1, t.item_id, t.quantity, t.amount FROM unnest($7::uuid[], $8::int[], $9::bigint[]) WITH ORDINALITY t(item_id, quantity, amount, ord)
       )
       SELECT r.id, r.sale_id, r.customer_id, r.amount_cents, r.reason, r.restock, r.created_at, $10::json AS lines FROM r`,
      [refundId, saleId, sale.customer_id, amount, null, true, [itemId], [1], [amount], JSON.stringify([{ itemId, quantity: 1, amountCents: amount }])],
    );
    return { customerId: sale.customer_id as string, amount };
  });
  // customers: the credit is one database function (wallet.repo credit); inventory: the return too (reservations.repo returnStock)
  await pools.customers.query({ name: 'credit', text: 'SELECT outcome FROM wallet_credit($1::uuid, $2::bigint, $3)', values: [recorded.customerId, recorded.amount, refundId] });
  await pools.inventory.query({ name: 'return', text: 'SELECT stock_return($1, $2::uuid[], $3::int[]) AS outcome', values: [refundId, [itemId], [1]] });
  // sales: completed, added to the sale and its line, the key's answer stored (refunds.repo complete)
  await inTransaction(async (client) => {
    await client.query(
      `WITH r AS (
         UPDATE refunds SET status = 'COMPLETED', updated_at = now(), recovery_count = recovery_count + $2::int
         WHERE id = $1::uuid AND status = 'PENDING' RETURNING id, sale_id, amount_cents
       ), l AS (
         UPDATE sale_lines sl SET refunded_quantity = sl.refunded_quantity + rl.quantity
         FROM refund_lines rl, r WHERE rl.refund_id = r.id AND sl.sale_id = r.sale_id AND sl.item_id = rl.item_id
         RETURNING 1
       ), s AS (
         UPDATE sales SET refunded_cents = sales.refunded_cents + r.amount_cents, updated_at = now()
         FROM r WHERE sales.id = r.sale_id RETURNING 1
       )
       SELECT count(*)::int AS changed FROM r`,
      [refundId, 0],
    );
    await client.query(`UPDATE idempotency_keys SET state = 'done', response_status = 201, response_body = $2 WHERE refund_id = $1::uuid AND state = 'in_flight'`, [refundId, '{}']);
  });
  return { id: refundId };
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
  '/refund': async (_url, body) => {
    const { saleId, itemId } = JSON.parse(body);
    return refund(saleId, itemId);
  },
  '/purchase': async (_url, body) => {
    const { customerId, itemId, itemIds } = JSON.parse(body);
    return purchase(customerId, itemIds ?? [itemId]);
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
