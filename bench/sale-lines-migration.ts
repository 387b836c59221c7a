// Issue 23: what sales' migration 20261207100000_sale_lines_by_item costs a live shop at a million lines, done the
// two ways (docs/operations.md, "Migrations: expand, then contract"). Measured by hand, not in CI:
//
//   SCRATCH_DATABASE_URL=postgresql://postgres@127.0.0.1:55432/postgres [LINES=1000000] [WAYS=migration,online] npx tsx bench/sale-lines-migration.ts
//
// For each way, a scratch database gets sales' migrations up to the one before it and LINES completed one-line
// sales (random ids, as purchases leave them), then VACUUM ANALYZE. While the way runs, a probe writes a purchase
// (a sale and its line, one transaction) every 20 ms on its own connection, as the shop would: a write that waits
// for the table's lock is a purchase that waits. Printed: the way's wall time, and the probe's writes, its slowest
// and how many waited over 100 ms and 1 s.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations, migrateSaleLinesOnline, SALE_LINES_MIGRATION, saleLinesShape } from '@shop/devkit';
import { loadAverage } from './proc';

const ROOT = path.resolve(__dirname, '..');
const MIGRATIONS = path.join(ROOT, 'prisma', 'sales', 'migrations');
const LINES = Number(process.env.LINES ?? 1_000_000);
/** WAYS=online measures one way only. */
const WAYS = (process.env.WAYS ?? 'migration,online').split(',');
const admin = process.env.SCRATCH_DATABASE_URL;
if (!admin) throw new Error('set SCRATCH_DATABASE_URL to a PostgreSQL server you may create a database on');

/** A folder with sales' migrations up to (without, or with) the target. */
function migrationsUpTo(including: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sale-lines-mig-'));
  for (const name of fs.readdirSync(MIGRATIONS)) {
    if (!/^\d/.test(name) || name > SALE_LINES_MIGRATION || (!including && name === SALE_LINES_MIGRATION)) continue;
    fs.cpSync(path.join(MIGRATIONS, name), path.join(dir, name), { recursive: true });
  }
  return dir;
}

async function prepare(name: string): Promise<string> {
  const server = new pg.Client({ connectionString: admin });
  await server.connect();
  await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await server.query(`CREATE DATABASE ${name}`);
  await server.end();
  const url = Object.assign(new URL(admin!), { pathname: `/${name}` }).toString();
  await applyMigrations(url, migrationsUpTo(false));
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const started = performance.now();
  await db.query(`SET synchronous_commit = off`);
  await db.query(
    `INSERT INTO sales (id, customer_id, username, username_key, total_cents, status, created_at, updated_at)
     SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad((g % 20000)::text, 12, '0'))::uuid, 'buyer', 'buyer', 100, 'COMPLETED',
            now() - interval '365 days' + g * interval '30 seconds', now()
     FROM generate_series(1, ${LINES}) g`,
  );
  await db.query(
    `INSERT INTO sale_lines (sale_id, position, item_id, quantity, item_name, unit_price_cents)
     SELECT id, 0, ('00000000-0000-4000-8000-' || lpad((abs(hashtext(id::text)) % 100000)::text, 12, '0'))::uuid, 1, 'Item', 100 FROM sales`,
  );
  await db.query('VACUUM ANALYZE');
  console.log(`${name}: ${LINES} sales and lines loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await db.end();
  return url;
}

/** Purchases written every 20 ms until stopped; each one's time. */
function probe(url: string) {
  const times: number[] = [];
  let running = true;
  const done = (async () => {
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    while (running) {
      const started = performance.now();
      await db.query(`WITH s AS (INSERT INTO sales (id, customer_id, username, username_key, total_cents, status)
                        VALUES (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'probe', 'probe', 100, 'COMPLETED') RETURNING id)
                      INSERT INTO sale_lines (sale_id, position, item_id, quantity, item_name, unit_price_cents)
                      SELECT id, 0, '00000000-0000-4000-8000-000000000002', 1, 'Item', 100 FROM s`);
      times.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await db.end();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      const sorted = [...times].sort((a, b) => a - b);
      return {
        writes: times.length,
        slowestMs: Math.round(sorted.at(-1) ?? 0),
        p99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
        over100ms: times.filter((t) => t > 100).length,
        over1s: times.filter((t) => t > 1000).length,
      };
    },
  };
}

async function measure(way: 'migration' | 'online', run: (url: string) => Promise<unknown>) {
  const url = await prepare(`sale_lines_${way}`);
  const writes = probe(url);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = performance.now();
  const detail = await run(url);
  const seconds = (performance.now() - started) / 1000;
  const probed = await writes.stop();
  console.log(`${way}: ${seconds.toFixed(1)} s; probe purchases ${JSON.stringify(probed)}`);
  if (detail) console.log(`  steps: ${JSON.stringify(detail)}`);
  return { way, seconds, probe: probed, detail };
}

async function main() {
  console.log(`sale_lines at ${LINES} lines, ${os.cpus().length} cores, load average ${loadAverage()}`);
  const results = [];
  if (WAYS.includes('migration')) results.push(await measure('migration', (url) => applyMigrations(url, migrationsUpTo(true))));
  if (WAYS.includes('online'))
    results.push(await measure('online', (url) => migrateSaleLinesOnline(url, MIGRATIONS, { log: (line) => console.log(`  ${line}`) })));
  console.log(JSON.stringify(results));
  if (results.length < 2) return;
  const [a, b] = await Promise.all(
    ['migration', 'online'].map((way) => saleLinesShape(Object.assign(new URL(admin!), { pathname: `/sale_lines_${way}` }).toString())),
  );
  console.log(a === b ? 'schemas of sale_lines identical both ways' : `schemas differ:\n${a}\n---\n${b}`);
  console.log(`load average after: ${loadAverage()}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
