// Issue 23 items 2 and 4, measured by hand (not in CI): builds sales' schema in a scratch database (its real
// migrations), loads a year's operational rows (1,000,000 outbox events, 2,000,000 webhook deliveries, 1,000,000
// idempotency keys of which 950,000 expired, 1,000,000 sales with a few pending) and prints the EXPLAIN
// (ANALYZE, BUFFERS) of the fan-out, the claim, one recovery-sweep pass and each retention batch, then the purge
// rate of each retention rule and what UUIDv7 ids do to the deliveries' index size.
//
//   SCRATCH_DATABASE_URL=postgresql://postgres@127.0.0.1:55432/postgres node bench/retention-at-scale.mjs
//
// The database named in the URL is only used to create (and finally drop) `retention_scale`.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');
const admin = process.env.SCRATCH_DATABASE_URL;
if (!admin) throw new Error('set SCRATCH_DATABASE_URL to a PostgreSQL server you may create a database on');
const url = Object.assign(new URL(admin), { pathname: '/retention_scale' }).toString();

const server = new pg.Client({ connectionString: admin });
await server.connect();
await server.query('DROP DATABASE IF EXISTS retention_scale');
await server.query('CREATE DATABASE retention_scale');
const db = new pg.Client({ connectionString: url });
await db.connect();
const ms = async (work) => {
  const start = performance.now();
  await work();
  return Math.round(performance.now() - start);
};

const migrations = path.join(ROOT, 'prisma/sales/migrations');
for (const dir of fs
  .readdirSync(migrations)
  .filter((name) => /^\d/.test(name))
  .sort()) {
  await db.query(fs.readFileSync(path.join(migrations, dir, 'migration.sql'), 'utf8'));
}

console.log('loading…');
const load = await ms(async () => {
  await db.query('ALTER TABLE sales DISABLE TRIGGER USER');
  await db.query(`INSERT INTO webhook_subscriptions (id, url, events, secret, updated_at)
    SELECT gen_random_uuid(), 'https://receiver.example/hook', '{*}', 'whsec_' || n, now() FROM generate_series(1, 2) n`);
  // A year of events, one every ~31 s; every one dispatched and delivered to both subscriptions, except 200 new
  // undispatched ones (the fan-out's next batch) and 1,000 deliveries still pending.
  await db.query(`INSERT INTO outbox_events (id, type, data, created_at, dispatched_at)
    SELECT gen_random_uuid(), 'sale.completed', '{"id":"x","totalCents":100}', t, t
    FROM (SELECT now() - (n * interval '31.5 seconds') AS t FROM generate_series(1, 1000000) n) s`);
  await db.query(`INSERT INTO outbox_events (id, type, data) SELECT gen_random_uuid(), 'sale.completed', '{}' FROM generate_series(1, 200)`);
  await db.query(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, attempts, give_up_at, created_at, delivered_at)
    SELECT gen_random_uuid(), s.id, e.id, e.type, 'delivered', 1, e.created_at + interval '1 day', e.created_at, e.created_at
    FROM outbox_events e CROSS JOIN webhook_subscriptions s WHERE e.dispatched_at IS NOT NULL`);
  await db.query(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() - interval '1 second', delivered_at = NULL
    WHERE id IN (SELECT id FROM webhook_deliveries ORDER BY created_at DESC LIMIT 1000)`);
  await db.query(`INSERT INTO idempotency_keys (customer_id, key, request_hash, state, response_status, response_body, created_at, expires_at)
    SELECT gen_random_uuid(), 'k' || n, repeat('a', 64), 'done', 201, '{}', now() - (n * interval '30 seconds'),
           now() - (n * interval '30 seconds') + interval '24 hours'
    FROM generate_series(1, 1000000) n`);
  await db.query(`INSERT INTO sales (id, customer_id, username, username_key, total_cents, status, created_at, updated_at)
    SELECT gen_random_uuid(), gen_random_uuid(), 'u' || (n % 200000), 'u' || (n % 200000), 100,
           CASE WHEN n <= 5 THEN 'PENDING' ELSE 'COMPLETED' END::"SaleStatus", now() - (n * interval '31.5 seconds'), now()
    FROM generate_series(1, 1000000) n`);
  await db.query('ALTER TABLE sales ENABLE TRIGGER USER');
  await db.query('VACUUM ANALYZE');
});
console.log(`loaded in ${load} ms`);

const explain = async (title, text, params = []) => {
  await db.query('BEGIN');
  const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, params);
  await db.query('ROLLBACK');
  const plan = rows.map((row) => row['QUERY PLAN']);
  const seq = plan.filter((line) => /Seq Scan on (outbox_events|webhook_deliveries|idempotency_keys|sales)\b/.test(line));
  console.log(`\n### ${title}${seq.length ? '  ← SEQUENTIAL SCAN' : ''}\n${plan.join('\n')}`);
};

// The worker's own statements (packages/kit/src/webhooks/queue-sql.ts), not copies.
const { FAN_OUT_SQL: FAN_OUT, CLAIM_SQL } = await import('../packages/kit/src/webhooks/queue-sql.ts');
await explain('webhook fan-out (200 events × 2 subscriptions)', FAN_OUT, [200, 86_400_000]);
await explain('webhook claim (8 due deliveries)', CLAIM_SQL, [8, 15_000]);
await explain(
  'recovery sweep: the oldest abandoned sale',
  `SELECT id, customer_id FROM sales WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1::double precision)
     AND NOT (id = ANY($2::uuid[])) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
  [120, []],
);
await explain(
  'recovery sweep: the oldest pending refund',
  `SELECT r.id FROM refunds r WHERE r.status = 'PENDING' AND r.created_at < now() - make_interval(secs => $1::double precision)
     AND NOT (r.id = ANY($2::uuid[])) ORDER BY r.created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
  [120, []],
);

const rules = {
  webhook_deliveries: [`status <> 'pending' AND created_at < now() - make_interval(days => $2::int)`, 'created_at', [7]],
  outbox_events: [
    `dispatched_at < now() - make_interval(days => $2::int)
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = outbox_events.id AND d.status = 'pending')`,
    'dispatched_at',
    [7],
  ],
  idempotency_keys: [`state = 'done' AND expires_at < now()`, 'expires_at', []],
};
const prune = (table) => {
  const [where, order] = rules[table];
  return `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT $1 FOR UPDATE SKIP LOCKED))`;
};
const backlog = (table) => {
  const [full, order] = rules[table];
  // As the runner counts it: the outbox's gauge leaves out the pending-delivery check.
  const where = table === 'outbox_events' ? 'dispatched_at < now() - make_interval(days => $2::int)' : full;
  return `SELECT count(*) FROM (SELECT ctid FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT $1) AS prunable`;
};
for (const table of Object.keys(rules)) {
  await explain(`retention batch: ${table} (2,000 rows)`, prune(table), [2000, ...rules[table][2]]);
  await explain(`retention backlog: ${table} (capped at 10,000)`, backlog(table), [10_000, ...rules[table][2]]);
}
await explain(
  'the idempotency purge before (LIMIT without ORDER BY)',
  `DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys WHERE expires_at < now() AND state = 'done' LIMIT $1))`,
  [1000],
);

console.log('\n### purge rates (batches of 2,000, autocommit, as the runner does)');
for (const table of ['webhook_deliveries', 'outbox_events', 'idempotency_keys']) {
  let rows = 0;
  let batches = 0;
  const took = await ms(async () => {
    for (let deleted = 2000; deleted === 2000 && rows < 200_000; batches++) {
      deleted = (await db.query(prune(table), [2000, ...rules[table][2]])).rowCount;
      rows += deleted;
    }
  });
  console.log(`${table}: ${rows} rows in ${batches} batches, ${took} ms: ${Math.round((rows * 1000) / took)} rows/s`);
}

console.log('\n### UUIDv4 vs UUIDv7 primary keys, 2,000,000 inserts in batches of 400 (the fan-out of 200 events × 2)');
for (const generator of ['gen_random_uuid()', 'uuid_v7()']) {
  await db.query('DROP TABLE IF EXISTS ids; CREATE TABLE ids (id uuid PRIMARY KEY, n int)');
  const took = await ms(async () => {
    for (let batch = 0; batch < 5000; batch++) await db.query(`INSERT INTO ids SELECT ${generator}, n FROM generate_series(1, 400) n`);
  });
  const [{ size }] = (await db.query(`SELECT pg_size_pretty(pg_relation_size('ids_pkey')) AS size`)).rows;
  const last = await ms(async () => {
    for (let batch = 0; batch < 50; batch++) await db.query(`INSERT INTO ids SELECT ${generator}, n FROM generate_series(1, 400) n`);
  });
  console.log(`${generator}: ${took} ms for 2,000,000 rows; index ${size}; the next 50 batches ${last} ms`);
}

await db.end();
await server.query('DROP DATABASE retention_scale');
await server.end();
