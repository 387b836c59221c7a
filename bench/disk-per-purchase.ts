// Issue 23: the disk each table takes per 1,000,000 purchases, before and with the retention rules. Measured by hand:
//
//   npx tsx bench/disk-per-purchase.ts            # PURCHASES=3000 CONCURRENCY=8
//
// Starts the shop as the tests do (one PostgreSQL, the four services), seeds it as `pnpm bench` does, subscribes one
// webhook receiver to sale.completed (delivered, as in a shop with one active subscription), then makes PURCHASES
// purchases through the API, each with an Idempotency-Key, and waits until every event is dispatched and delivered.
// Each table's growth (pg_total_relation_size: rows, indexes, TOAST) per purchase, times 1,000,000, is "before" (nothing
// pruned). "With pruning" is what the table holds in a shop that makes those purchases evenly over a year: the
// operational rows of the last retention window (EVENT_RETENTION_DAYS 7, IDEMPOTENCY_TTL_HOURS 24,
// RESERVATION_RETENTION_HOURS 48 after the last change), history in full. The space of pruned rows is reused by
// PostgreSQL, not given back to the file system: the tables stay at that size, they do not shrink.
import pg from 'pg';
import { startTestSystem } from '@shop/testkit/src/system';
import { seed, webhookSubscription } from './seed';

const PURCHASES = Number(process.env.PURCHASES ?? 3000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
/** The share of a year's rows each pruned table keeps (the retention window over 365 days). */
const KEPT: Record<string, { share: number; rule: string }> = {
  outbox_events: { share: 7 / 365, rule: 'EVENT_RETENTION_DAYS 7' },
  webhook_deliveries: { share: 7 / 365, rule: 'EVENT_RETENTION_DAYS 7' },
  idempotency_keys: { share: 1 / 365, rule: 'IDEMPOTENCY_TTL_HOURS 24' },
  stock_reservations: { share: 2 / 365, rule: 'RESERVATION_RETENTION_HOURS 48' },
  stock_reservation_lines: { share: 2 / 365, rule: 'RESERVATION_RETENTION_HOURS 48' },
  purchase_attempts: { share: 0, rule: 'ended minute windows' },
  voided_references: { share: 2 / 365, rule: 'VOIDED_REFERENCE_RETENTION_HOURS 48' },
};

async function sizes(url: string): Promise<Map<string, number>> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const { rows } = await db.query<{ name: string; bytes: string }>(
    `SELECT relname AS name, pg_total_relation_size(oid)::text AS bytes FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`,
  );
  await db.end();
  return new Map(rows.map((row) => [row.name, Number(row.bytes)]));
}

async function main() {
  const system = await startTestSystem({ stdio: 'ignore', readyTimeoutMs: 240_000 });
  let hook: Awaited<ReturnType<typeof webhookSubscription>>;
  try {
    const { itemIds, tokens, adminToken } = await seed(system);
    console.log('seeded');
    hook = await webhookSubscription(system, adminToken);
    await hook?.activate();
    const dbs = system.context.databaseUrls;
    const before = Object.fromEntries(await Promise.all(Object.entries(dbs).map(async ([name, url]) => [name, await sizes(url)] as const)));
    let next = 0;
    let refused = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PURCHASES) {
          const n = next++;
          // A connection cut on a loaded machine is a refused purchase, not the end of the run.
          const status = await fetch(`${system.context.urls.sales}/sales`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[n % tokens.length]}`, 'idempotency-key': `disk-${n}` },
            body: JSON.stringify({ itemId: itemIds[(n * 7) % itemIds.length] }),
          }).then(
            async (res) => (await res.arrayBuffer(), res.status),
            () => 0,
          );
          if (status !== 201) refused++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await hook?.settle();
    const made = PURCHASES - refused;
    console.log(`${made} purchases (${refused} refused) in ${seconds.toFixed(1)} s; every event delivered to one subscription\n`);
    console.log('| service | table | bytes per purchase | MB per 1,000,000 purchases | kept with pruning | MB with pruning |');
    console.log('|---|---|---:|---:|---|---:|');
    const totals: Record<string, { before: number; after: number }> = {};
    for (const [name, url] of Object.entries(dbs)) {
      const after = await sizes(url);
      for (const [table, bytes] of after) {
        const grown = bytes - (before[name]!.get(table) ?? 0);
        if (grown <= 0 || table === '_prisma_migrations') continue;
        const perPurchase = grown / made;
        const mb = (perPurchase * 1_000_000) / 1024 / 1024;
        const kept = KEPT[table];
        const pruned = kept ? mb * kept.share : mb;
        const total = (totals[name] ??= { before: 0, after: 0 });
        total.before += mb;
        total.after += pruned;
        console.log(
          `| ${name} | ${table} | ${perPurchase.toFixed(0)} | ${mb.toFixed(0)} | ${kept ? kept.rule : 'all (history, or one row per customer or item)'} | ${pruned.toFixed(0)} |`,
        );
      }
    }
    console.log('\n| service | MB per 1,000,000 purchases | with pruning |\n|---|---:|---:|');
    for (const [name, total] of Object.entries(totals)) console.log(`| ${name} | ${total.before.toFixed(0)} | ${total.after.toFixed(0)} |`);
  } finally {
    hook?.close();
    await system.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
