// `pnpm bench:scale`'s bulk load: a shop after a year of trade, written by SQL (INSERT … SELECT over
// generate_series) straight into each service's database, with every constraint and trigger in force. Ids are
// derived from a row's number (pg_temp.buuid), so the four databases agree without copying ids between them:
// sale g is bought by customer cust(g) of item item(g) at price(item), its debit is ledger row g, its stock
// reservation has reference = the sale id, and so on. Invariants kept:
// - inventory: stock_count = initial movement + every reservation movement (stock_after runs down per item);
// - customers: every wallet's balance = the sum of its ledger, each balance_after the running sum;
// - sales: customer_spend holds what its trigger would have written (checked against the sales after the load);
// - reviews: review_summaries is maintained by its trigger, one customer per item.
import { createHash } from 'node:crypto';
import pg from 'pg';

/** The sizes of one load: the sizes times BENCH_SCALE_FACTOR. */
export interface ScaleSizes {
  items: number;
  customers: number;
  sales: number;
  /** Buyers with `heavySales` sales each (the first customers). */
  heavyBuyers: number;
  heavySales: number;
  reviews: number;
  /** Approved reviews of item 1. */
  famousReviews: number;
  /** Outbox events per service, each delivered to two subscriptions. */
  events: number;
  sessions: number;
  rateLimitKeys: number;
  idempotencyKeys: number;
}

export function scaleSizes(factor: number, opsFactor = factor): ScaleSizes {
  const n = (value: number, f = factor) => Math.max(1, Math.round(value * f));
  return {
    items: n(1_000_000),
    customers: Math.max(20, n(200_000)),
    sales: n(1_000_000),
    heavyBuyers: 5,
    heavySales: n(20_000),
    reviews: n(1_000_000),
    famousReviews: Math.min(n(50_000), Math.max(20, n(200_000)) - 1),
    events: n(1_000_000, opsFactor),
    sessions: n(1_000_000, opsFactor),
    rateLimitKeys: n(1_000_000, opsFactor),
    idempotencyKeys: n(950_000, opsFactor),
  };
}

/** Units each item was stocked with. */
export const SCALE_STOCK = 1000;
/** What each wallet holds after its purchases. */
export const SCALE_BALANCE = 50_000;
/** The word in 1% of the names (items 7, 107, 207, …), for the `q` scenario. */
export const SCALE_WORD = 'zephyr';

/** Ids by number, the same in every database: a v4-shaped uuid from md5 of a tag and a number. */
export const buuid = (tag: string, n: number) => {
  const h = createHashHex(`${tag}${n}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
function createHashHex(text: string) {
  return createHash('md5').update(text).digest('hex');
}

const FUNCTIONS = (s: ScaleSizes) => `
CREATE FUNCTION pg_temp.buuid(tag text, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT (substr(h, 1, 12) || '4' || substr(h, 14, 3) || '8' || substr(h, 18, 15))::uuid FROM (SELECT md5(tag || n) AS h) x $$;
CREATE FUNCTION pg_temp.cust(g bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN g <= ${s.heavyBuyers * s.heavySales} THEN (g - 1) / ${s.heavySales} + 1
              ELSE ${s.heavyBuyers + 1} + (g * 7919) % ${s.customers - s.heavyBuyers} END $$;
CREATE FUNCTION pg_temp.item(g bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 1 + (g * 104729) % ${s.items} $$;
CREATE FUNCTION pg_temp.price(i bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 100 + (i * 7919) % 9900 $$;
CREATE FUNCTION pg_temp.item_name(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'Scale item ' || i || CASE WHEN i % 100 = 7 THEN ' ${SCALE_WORD}' ELSE '' END $$;
-- Sale g's time: spread over the last year, in order.
CREATE FUNCTION pg_temp.sold_at(g bigint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT now() - interval '365 days' + (g::float8 / ${s.sales}) * interval '364 days' $$;
`;

type Step = [label: string, sql: string];

/** The webhook history every service keeps: events, each delivered to two (now inactive) subscriptions. */
function webhookSteps(s: ScaleSizes, eventType: string): Step[] {
  return [
    [
      'webhook subscriptions',
      `INSERT INTO webhook_subscriptions (id, url, events, description, secret, active, created_at, updated_at)
       SELECT pg_temp.buuid('sub', k), 'https://hooks.example.com/' || k, ARRAY['*'], 'scale bench', 'whsec_c2NhbGUtYmVuY2gtc2VjcmV0LXNjYWxlLWJlbmNo',
              false, now() - interval '400 days', now() FROM generate_series(1, 2) k`,
    ],
    [
      'outbox events',
      `INSERT INTO outbox_events (id, type, data, created_at, dispatched_at)
       SELECT pg_temp.buuid('ev', k), '${eventType}', json_build_object('id', pg_temp.buuid('ev', k)),
              now() - interval '365 days' + (k::float8 / ${s.events}) * interval '364 days',
              now() - interval '365 days' + (k::float8 / ${s.events}) * interval '364 days' + interval '1 second'
       FROM generate_series(1, ${s.events}) k`,
    ],
    [
      'webhook deliveries',
      `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, attempts, last_status_code, next_attempt_at, give_up_at, created_at, delivered_at)
       SELECT gen_random_uuid(), pg_temp.buuid('sub', sub), e.id, e.type, 'delivered', 1, 204, NULL, e.created_at + interval '24 hours',
              e.created_at, e.created_at + interval '2 seconds'
       FROM outbox_events e CROSS JOIN generate_series(1, 2) sub ORDER BY e.seq, sub`,
    ],
  ];
}

/** The statements of each database, in order. */
export function loadSteps(s: ScaleSizes): Record<'customers' | 'inventory' | 'sales' | 'reviews', Step[]> {
  const spend = `CREATE TEMP TABLE spend AS SELECT pg_temp.cust(g) AS c, sum(pg_temp.price(pg_temp.item(g)))::bigint AS cents
                 FROM generate_series(1, ${s.sales}) g GROUP BY 1`;
  return {
    customers: [
      ['spend per customer', spend],
      [
        'customers',
        `INSERT INTO customers (id, username, username_key, password_hash, first_name, last_name, age, address, gender, marital_status, balance_cents, created_at, updated_at)
         SELECT pg_temp.buuid('c', c), 'scale' || c, 'scale' || c, $1, 'Scale', 'Customer ' || c, 18 + c % 60, c || ' Scale Street',
                (ARRAY['male', 'female', 'other', 'unspecified'])[1 + c % 4]::"Gender", 'single', ${SCALE_BALANCE},
                now() - interval '400 days', now()
         FROM generate_series(1, ${s.customers}) c`,
      ],
      [
        'deposits',
        `INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, created_at)
         SELECT gen_random_uuid(), pg_temp.buuid('c', c.c), 'deposit', coalesce(sp.cents, 0) + ${SCALE_BALANCE}, coalesce(sp.cents, 0) + ${SCALE_BALANCE},
                now() - interval '400 days'
         FROM generate_series(1, ${s.customers}) c(c) LEFT JOIN spend sp ON sp.c = c.c ORDER BY c.c`,
      ],
      [
        'purchase debits',
        `INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference, created_at)
         SELECT gen_random_uuid(), pg_temp.buuid('c', x.c), 'purchase', -x.p,
                sp.cents + ${SCALE_BALANCE} - sum(x.p) OVER (PARTITION BY x.c ORDER BY x.g), pg_temp.buuid('s', x.g)::text, pg_temp.sold_at(x.g)
         FROM (SELECT g, pg_temp.cust(g) AS c, pg_temp.price(pg_temp.item(g)) AS p FROM generate_series(1, ${s.sales}) g) x
         JOIN spend sp ON sp.c = x.c ORDER BY x.g`,
      ],
      [
        'live sessions of the heavy buyers',
        `INSERT INTO sessions (id, customer_id, created_at, last_used_at, expires_at)
         SELECT pg_temp.buuid('live', c), pg_temp.buuid('c', c), now(), now(), now() + interval '1 day' FROM generate_series(1, ${s.heavyBuyers}) c`,
      ],
      [
        'expired sessions',
        `INSERT INTO sessions (id, customer_id, created_at, last_used_at, expires_at, user_agent)
         SELECT pg_temp.buuid('sess', k), pg_temp.buuid('c', 1 + k % ${s.customers}),
                now() - interval '365 days' + (k::float8 / ${s.sessions}) * interval '330 days',
                now() - interval '365 days' + (k::float8 / ${s.sessions}) * interval '330 days' + interval '1 hour',
                now() - interval '365 days' + (k::float8 / ${s.sessions}) * interval '330 days' + interval '30 days', 'scale-bench'
         FROM generate_series(1, ${s.sessions}) k`,
      ],
      [
        'refresh tokens (rotated)',
        `INSERT INTO refresh_tokens (token_hash, session_id, created_at, rotated_at)
         SELECT md5(s.id::text) || md5(s.id::text || 'r'), s.id, s.created_at, s.created_at + interval '15 minutes'
         FROM sessions s WHERE s.user_agent = 'scale-bench'`,
      ],
      [
        'rate-limit keys',
        `INSERT INTO rate_limit_hits (key, hits, reset_at)
         SELECT 'login:' || k || '.' || (k % 251) || '.scale', 1 + k % 5, now() - interval '365 days' + (k::float8 / ${s.rateLimitKeys}) * interval '364 days'
         FROM generate_series(1, ${s.rateLimitKeys}) k`,
      ],
      ...webhookSteps(s, 'customer.updated'),
    ],
    inventory: [
      ['units sold per item', `CREATE TEMP TABLE sold AS SELECT pg_temp.item(g) AS item, count(*)::int AS n FROM generate_series(1, ${s.sales}) g GROUP BY 1`],
      [
        'items',
        `INSERT INTO items (id, name, category, price_cents, description, stock_count, created_at, updated_at)
         SELECT pg_temp.buuid('i', i), pg_temp.item_name(i), (ARRAY['food', 'clothes', 'accessories', 'electronics'])[1 + i % 4]::"Category",
                pg_temp.price(i), 'A description of scale item ' || i || ', long enough to be read.', ${SCALE_STOCK} - coalesce(sold.n, 0),
                now() - interval '400 days' + (i::float8 / ${s.items}) * interval '30 days', now() - interval '400 days' + (i::float8 / ${s.items}) * interval '30 days'
         FROM generate_series(1, ${s.items}) i LEFT JOIN sold ON sold.item = i ORDER BY i`,
      ],
      [
        'initial stock movements',
        `INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, created_at)
         SELECT gen_random_uuid(), pg_temp.buuid('i', i), 'initial', ${SCALE_STOCK}, ${SCALE_STOCK}, now() - interval '400 days' + (i::float8 / ${s.items}) * interval '30 days'
         FROM generate_series(1, ${s.items}) i`,
      ],
      [
        'stock reservations',
        `INSERT INTO stock_reservations (reference, state, created_at, updated_at)
         SELECT pg_temp.buuid('s', g)::text, 'taken', pg_temp.sold_at(g), pg_temp.sold_at(g) FROM generate_series(1, ${s.sales}) g`,
      ],
      [
        'reservation lines',
        `INSERT INTO stock_reservation_lines (reference, position, item_id, quantity, item_name, unit_price_cents, stock_after)
         SELECT pg_temp.buuid('s', g)::text, 0, pg_temp.buuid('i', i), 1, pg_temp.item_name(i), pg_temp.price(i),
                ${SCALE_STOCK} - row_number() OVER (PARTITION BY i ORDER BY g)
         FROM (SELECT g, pg_temp.item(g) AS i FROM generate_series(1, ${s.sales}) g) x ORDER BY g`,
      ],
      [
        'reservation movements',
        // Only the loaded sales' lines: the small shop's purchases (made through the API before the load) have
        // their movements already, and a second one would unbalance their items (the books audit found it).
        `INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference, created_at)
         SELECT gen_random_uuid(), l.item_id, 'reservation', -1, l.stock_after, l.reference, r.created_at
         FROM generate_series(1, ${s.sales}) g
         JOIN stock_reservation_lines l ON l.reference = pg_temp.buuid('s', g)::text
         JOIN stock_reservations r ON r.reference = l.reference ORDER BY g`,
      ],
      ...webhookSteps(s, 'item.updated'),
    ],
    sales: [
      [
        'completed sales (customer_spend as its trigger keeps it)',
        // The row trigger would upsert customer_spend once per sale (1,000,000 upserts of 200,000 rows: most of this
        // step's time). It is off for this one statement, and the rows it would have written are written from the
        // inserted sales by one aggregate, with its own arithmetic (sale_net_cents; a count that is NULL, "not
        // counted yet", stays NULL). The next step proves the result equal to a count over every sale.
        `ALTER TABLE sales DISABLE TRIGGER sales_customer_spend;
         WITH loaded AS (
           INSERT INTO sales (id, customer_id, username, username_key, total_cents, refunded_cents, status, created_at, updated_at)
           SELECT pg_temp.buuid('s', g), pg_temp.buuid('c', c), 'scale' || c, 'scale' || c, pg_temp.price(i), 0, 'COMPLETED', pg_temp.sold_at(g), pg_temp.sold_at(g)
           FROM (SELECT g, pg_temp.cust(g) AS c, pg_temp.item(g) AS i FROM generate_series(1, ${s.sales}) g) x ORDER BY g
           RETURNING customer_id, status, total_cents, refunded_cents)
         INSERT INTO customer_spend AS cs (customer_id, net_cents, completed_sales)
         SELECT customer_id, sum(sale_net_cents(status, total_cents, refunded_cents)), count(*) FILTER (WHERE status = 'COMPLETED')
         FROM loaded GROUP BY customer_id
         ON CONFLICT (customer_id) DO UPDATE SET net_cents = cs.net_cents + EXCLUDED.net_cents,
           completed_sales = cs.completed_sales + EXCLUDED.completed_sales, updated_at = now();
         ALTER TABLE sales ENABLE TRIGGER sales_customer_spend;`,
      ],
      [
        'customer_spend checked against the sales',
        `DO $$ BEGIN
           IF EXISTS (
             SELECT 1 FROM (SELECT customer_id, sum(sale_net_cents(status, total_cents, refunded_cents)) AS net,
                                   count(*) FILTER (WHERE status = 'COMPLETED') AS completed FROM sales GROUP BY customer_id) s
             FULL JOIN customer_spend cs USING (customer_id)
             WHERE coalesce(cs.net_cents, 0) <> coalesce(s.net, 0) OR cs.completed_sales <> coalesce(s.completed, 0))
           THEN RAISE EXCEPTION 'customer_spend does not match the sales';
           END IF;
         END $$`,
      ],
      [
        'sale lines',
        `INSERT INTO sale_lines (sale_id, position, item_id, quantity, item_name, unit_price_cents)
         SELECT pg_temp.buuid('s', g), 0, pg_temp.buuid('i', i), 1, pg_temp.item_name(i), pg_temp.price(i)
         FROM (SELECT g, pg_temp.item(g) AS i FROM generate_series(1, ${s.sales}) g) x`,
      ],
      [
        'idempotency keys',
        `INSERT INTO idempotency_keys (customer_id, key, request_hash, state, sale_id, response_status, response_body, created_at, expires_at)
         SELECT pg_temp.buuid('c', pg_temp.cust(k)), 'scale-key-' || k, md5('rq' || k) || md5('qr' || k), 'done',
                CASE WHEN k <= ${s.sales} THEN pg_temp.buuid('s', k) END, 201, '{}',
                now() - interval '300 days' + (k::float8 / ${s.idempotencyKeys}) * interval '299 days',
                now() - interval '299 days' + (k::float8 / ${s.idempotencyKeys}) * interval '299 days'
         FROM generate_series(1, ${s.idempotencyKeys}) k`,
      ],
      ...webhookSteps(s, 'sale.completed'),
    ],
    reviews: [
      [
        `${s.famousReviews} approved reviews of item 1`,
        `INSERT INTO reviews (id, item_id, customer_id, username, username_key, rating, comment, status, verified_purchase, purchase_checked, status_changed_at, created_at, updated_at)
         SELECT gen_random_uuid(), pg_temp.buuid('i', 1), pg_temp.buuid('c', c), 'scale' || c, 'scale' || c, 1 + (c * 7) % 5, 'Scale review ' || c,
                'approved', false, true, t, t, t
         FROM (SELECT c, now() - interval '365 days' + (c::float8 / ${s.famousReviews}) * interval '364 days' AS t FROM generate_series(1, ${s.famousReviews}) c) x`,
      ],
      [
        'reviews of other items (80% approved, 15% pending, 5% rejected)',
        `INSERT INTO reviews (id, item_id, customer_id, username, username_key, rating, comment, status, verified_purchase, purchase_checked, status_changed_at, created_at, updated_at)
         SELECT gen_random_uuid(), pg_temp.buuid('i', 2 + ((r / ${s.customers}) * 7 + (r % ${s.customers}) * 13) % ${Math.max(1, s.items - 1)}),
                pg_temp.buuid('c', 1 + r % ${s.customers}), 'scale' || (1 + r % ${s.customers}), 'scale' || (1 + r % ${s.customers}),
                1 + (r * 3) % 5, 'Scale review ' || r,
                (CASE WHEN r % 20 < 16 THEN 'approved' WHEN r % 20 < 19 THEN 'pending' ELSE 'rejected' END)::"ReviewStatus", false, true, t, t, t
         FROM (SELECT r, now() - interval '365 days' + (r::float8 / ${s.reviews}) * interval '364 days' AS t
               FROM generate_series(0, ${Math.max(0, s.reviews - s.famousReviews) - 1}) r) x
         ON CONFLICT (customer_id, item_id) DO NOTHING`,
      ],
      ...webhookSteps(s, 'review.approved'),
    ],
  };
}

/** Runs each database's steps on a connection of its own, the four databases at once; the seconds each step took. */
export async function bulkLoad(urls: Record<string, string>, sizes: ScaleSizes, passwordHash: string, log: (line: string) => void) {
  const steps = loadSteps(sizes);
  const timings: Array<{ database: string; step: string; seconds: number }> = [];
  await Promise.all(
    Object.entries(steps).map(async ([database, list]) => {
      const client = new pg.Client({ connectionString: urls[database] });
      client.on('error', (error) => log(`  ${database}: connection error: ${error.message}`));
      await client.connect();
      try {
        await client.query("SET synchronous_commit = off; SET work_mem = '256MB'; SET maintenance_work_mem = '256MB'");
        await client.query(FUNCTIONS(sizes));
        for (const [label, sql] of list) {
          const started = performance.now();
          await withBulkIndexes(client, /INSERT INTO (\w+)/.exec(sql)?.[1], () => client.query(sql, sql.includes('$1') ? [passwordHash] : []));
          const seconds = (performance.now() - started) / 1000;
          timings.push({ database, step: label, seconds });
          log(`  ${database}: ${label} (${seconds.toFixed(1)} s)`);
        }
      } finally {
        await client.end();
      }
    }),
  );
  return timings;
}

/**
 * Runs one bulk insert into `table` with its secondary indexes and its foreign keys taken off, then puts them back:
 * each index is built once from the loaded rows (a sort) instead of being updated row by row (random pages, worst
 * for random uuids), and each foreign key is validated by one join when it is added again instead of a lookup per
 * row. Unique indexes (primary keys, ON CONFLICT targets), check constraints and triggers (but the one the sales
 * step stands in for) stay in force throughout, and every foreign key ends validated: a row that broke one fails the
 * step as it would have failed the insert.
 */
async function withBulkIndexes(client: pg.Client, table: string | undefined, insert: () => Promise<unknown>) {
  if (!table) return insert();
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
     WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    [table],
  );
  const { rows: keys } = await client.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`,
    [table],
  );
  for (const key of keys) await client.query(`ALTER TABLE ${table} DROP CONSTRAINT "${key.name}"`);
  for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
  await insert();
  for (const index of indexes) await client.query(index.def);
  for (const key of keys) await client.query(`ALTER TABLE ${table} ADD CONSTRAINT "${key.name}" ${key.def}`);
}
