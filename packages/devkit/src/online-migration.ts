import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { MIGRATION_LOCK, recordMigration } from './migrate';

/**
 * Sales' migration 20261207100000_sale_lines_by_item, done online (expand/contract) on a big live table.
 *
 * The migration as written runs in one transaction (the runner's, see migrate.ts): ADD COLUMN, an UPDATE of every
 * line, SET NOT NULL (a full scan), CREATE INDEX. Its first statement takes sale_lines' ACCESS EXCLUSIVE lock and
 * the transaction keeps it to the end, so every purchase (it inserts lines) waits the whole migration out: at a
 * million lines, longer than a purchase's timeout. It stays as it is (it is on main and applied wherever main ran:
 * changing it would change its checksum); this does the same work in steps whose locks are short, then records the
 * migration as applied, with the file's checksum, so the deploy's runner skips it. Run it against the database while
 * the previous version still serves (the old code never names the new column; the trigger fills it for new lines).
 * Every step is idempotent: after a failure, run it again.
 *
 *  1. expand: the column, nullable (a catalogue change only), and the trigger that fills it on insert;
 *  2. backfill in batches of `batchSize` lines by primary key, each batch its own short transaction;
 *  3. the index, CREATE INDEX CONCURRENTLY (writes go on; it cannot run inside a transaction, so not in a migration);
 *  4. NOT NULL without a long lock: CHECK (… IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT (reads the table under a lock
 *     that lets writes through), then SET NOT NULL, which PostgreSQL proves from the valid check without a scan;
 *     the check is then dropped (the schema ends exactly as the migration leaves it);
 *  5. contract: the old (item_id) index dropped CONCURRENTLY; the migration recorded.
 */
export const SALE_LINES_MIGRATION = '20261207100000_sale_lines_by_item';

export interface OnlineStep {
  step: string;
  ms: number;
  /** Rows the step changed (the backfill). */
  rows?: number;
}

export interface OnlineOptions {
  /** Lines per backfill transaction (default 5,000). */
  batchSize?: number;
  /** How long a step waits for a lock before it gives up and tries again (default 2 s). */
  lockTimeoutMs?: number;
  log?: (line: string) => void;
}

const FUNCTION = `CREATE OR REPLACE FUNCTION sale_lines_sale_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT "created_at" INTO NEW."sale_created_at" FROM "sales" WHERE "id" = NEW."sale_id";
  RETURN NEW;
END $$`;
const TRIGGER = `CREATE TRIGGER "sale_lines_sale_created_at" BEFORE INSERT OR UPDATE OF "sale_id", "sale_created_at" ON "sale_lines"
  FOR EACH ROW EXECUTE FUNCTION sale_lines_sale_created_at()`;
const INDEX = 'sale_lines_item_id_sale_created_at_idx';
const CHECK = 'sale_lines_sale_created_at_not_null';

export async function migrateSaleLinesOnline(url: string, migrationsDir: string, options: OnlineOptions = {}): Promise<OnlineStep[] | 'already applied'> {
  const batchSize = options.batchSize ?? 5000;
  const log = options.log ?? (() => {});
  const sql = fs.readFileSync(path.join(migrationsDir, SALE_LINES_MIGRATION, 'migration.sql'), 'utf8');
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  const steps: OnlineStep[] = [];
  const timed = async (step: string, work: () => Promise<number | void>) => {
    const started = performance.now();
    const rows = await work();
    const entry = { step, ms: Math.round(performance.now() - started), ...(typeof rows === 'number' && { rows }) };
    steps.push(entry);
    log(`${step}: ${entry.ms} ms${typeof rows === 'number' ? `, ${rows} rows` : ''}`);
  };
  // A DDL statement queues behind a long transaction, and every write queues behind it: wait briefly, try again.
  const briefly = async (statements: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.trunc(options.lockTimeoutMs ?? 2000)}; ${statements}; COMMIT`);
        return;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        if ((error as { code?: string }).code !== '55P03' || attempt >= 30) throw error;
        log(`  lock not granted in time (attempt ${attempt}); trying again`);
      }
    }
  };
  try {
    if (await applied(client)) return 'already applied';
    await timed('expand: nullable column and trigger', () =>
      briefly(`ALTER TABLE "sale_lines" ADD COLUMN IF NOT EXISTS "sale_created_at" TIMESTAMPTZ(3);
        ${FUNCTION};
        DROP TRIGGER IF EXISTS "sale_lines_sale_created_at" ON "sale_lines";
        ${TRIGGER}`),
    );
    await timed(`backfill in batches of ${batchSize}`, async () => {
      let total = 0;
      let last: { sale_id: string; position: number } | undefined;
      for (;;) {
        // The batch's last key (an index-only walk of the primary key), then the batch updated in its own transaction.
        const { rows } = await client.query<{ sale_id: string; position: number }>(
          `SELECT sale_id, position FROM (SELECT sale_id, position FROM sale_lines
             WHERE ($1::uuid IS NULL OR (sale_id, position) > ($1::uuid, $2::int)) ORDER BY sale_id, position LIMIT $3) b
           ORDER BY sale_id DESC, position DESC LIMIT 1`,
          [last?.sale_id ?? null, last?.position ?? 0, batchSize],
        );
        const end = rows[0];
        if (!end) return total;
        const updated = await client.query(
          `UPDATE sale_lines l SET sale_created_at = s.created_at FROM sales s
           WHERE s.id = l.sale_id AND l.sale_created_at IS NULL
             AND ($1::uuid IS NULL OR (l.sale_id, l.position) > ($1::uuid, $2::int)) AND (l.sale_id, l.position) <= ($3::uuid, $4::int)`,
          [last?.sale_id ?? null, last?.position ?? 0, end.sale_id, end.position],
        );
        total += updated.rowCount ?? 0;
        last = end;
      }
    });
    await timed('index, concurrently', async () => {
      const { rows } = await client.query<{ valid: boolean }>(
        `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
        [INDEX],
      );
      if (rows[0]?.valid) return;
      if (rows[0]) await client.query(`DROP INDEX CONCURRENTLY "${INDEX}"`); // an interrupted build leaves it invalid
      await client.query(`CREATE INDEX CONCURRENTLY "${INDEX}" ON "sale_lines" ("item_id", "sale_created_at", "sale_id")`);
    });
    await timed('not null: check not valid, validate, set not null', async () => {
      const { rows } = await client.query<{ attnotnull: boolean }>(
        `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'sale_lines'::regclass AND attname = 'sale_created_at'`,
      );
      if (rows[0]?.attnotnull) return;
      await briefly(`ALTER TABLE "sale_lines" DROP CONSTRAINT IF EXISTS "${CHECK}";
        ALTER TABLE "sale_lines" ADD CONSTRAINT "${CHECK}" CHECK ("sale_created_at" IS NOT NULL) NOT VALID`);
      await client.query(`ALTER TABLE "sale_lines" VALIDATE CONSTRAINT "${CHECK}"`);
      await briefly(`ALTER TABLE "sale_lines" ALTER COLUMN "sale_created_at" SET NOT NULL;
        ALTER TABLE "sale_lines" DROP CONSTRAINT "${CHECK}"`);
    });
    await timed('contract: old index dropped, concurrently', () => client.query('DROP INDEX CONCURRENTLY IF EXISTS "sale_lines_item_id_idx"').then(() => {}));
    await timed('migration recorded', () => record(client, sql));
    return steps;
  } finally {
    await client.end();
  }
}

/** sale_lines' columns, indexes, constraints and triggers, and the trigger function's source, as text (to compare). */
export async function saleLinesShape(url: string): Promise<string> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ shape: string }>(`SELECT string_agg(x, E'\\n' ORDER BY x) AS shape FROM (
      SELECT format('column %s %s %s', attname, format_type(atttypid, atttypmod), attnotnull) AS x FROM pg_attribute
       WHERE attrelid = 'sale_lines'::regclass AND attnum > 0 AND NOT attisdropped
      UNION ALL SELECT pg_get_indexdef(indexrelid) || ' valid ' || indisvalid FROM pg_index WHERE indrelid = 'sale_lines'::regclass
      UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'sale_lines'::regclass
      UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'sale_lines'::regclass AND NOT tgisinternal
      UNION ALL SELECT prosrc FROM pg_proc WHERE proname = 'sale_lines_sale_created_at') shapes`);
    return rows[0]?.shape ?? '';
  } finally {
    await db.end();
  }
}

async function applied(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = '_prisma_migrations' AND schemaname = current_schema()`,
  );
  if (!rows[0]?.n) return false;
  const done = await client.query('SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL', [
    SALE_LINES_MIGRATION,
  ]);
  return (done.rowCount ?? 0) > 0;
}

/** Recorded as the runner records a migration (migrate.ts), under its advisory lock, once. */
async function record(client: pg.Client, sql: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    if (await applied(client)) return;
    await recordMigration(client, SALE_LINES_MIGRATION, sql);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
