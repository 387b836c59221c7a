// `pnpm migrate:online` (docs/operations.md, "Migrations: expand, then contract"): sales' migration
// 20261207100000_sale_lines_by_item done online on a database that has the migrations before it and sales in it,
// in batches, while the old code could still be writing; the schema then is exactly what the migration leaves, the
// migration is recorded with its file's checksum, and the runner skips it and applies the later ones.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations, dropDatabase, ensureDatabase, SALE_LINES_MIGRATION, saleLinesShape } from '@shop/devkit';
import { system } from '@shop/testkit';

const ROOT = path.resolve(__dirname, '..');
const MIGRATIONS = path.join(ROOT, 'prisma', 'sales', 'migrations');

function run(url: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['--import', 'tsx', 'scripts/migrate-online.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

let url: string;
let db: pg.Client;

beforeAll(async () => {
  url = Object.assign(new URL(system().databaseUrls.sales), { pathname: `/shop_online_${crypto.randomBytes(4).toString('hex')}` }).toString();
  await ensureDatabase(url);
  const before = fs.mkdtempSync(path.join(os.tmpdir(), 'online-migration-'));
  for (const name of fs.readdirSync(MIGRATIONS))
    if (/^\d/.test(name) && name < SALE_LINES_MIGRATION) fs.cpSync(path.join(MIGRATIONS, name), path.join(before, name), { recursive: true });
  await applyMigrations(url, before);
  db = new pg.Client({ connectionString: url });
  await db.connect();
  // Seven sales of one or two lines, written before the column exists, at distinct times.
  await db.query(`INSERT INTO sales (id, customer_id, username, username_key, total_cents, status, created_at)
    SELECT gen_random_uuid(), gen_random_uuid(), 'old', 'old', 100, 'COMPLETED', now() - g * interval '1 day' FROM generate_series(1, 7) g`);
  await db.query(`INSERT INTO sale_lines (sale_id, position, item_id, quantity, item_name, unit_price_cents)
    SELECT id, p, gen_random_uuid(), 1, 'Item', 50 FROM sales, generate_series(0, 1) p WHERE p = 0 OR created_at < now() - interval '3 days'`);
});

afterAll(async () => {
  await db?.end();
  if (url) await dropDatabase(url);
});

describe('pnpm migrate:online', () => {
  it('backfills in batches, ends with the migration’s exact schema, records it, and the runner skips it', async () => {
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sale_lines')).rows as [{ n: number }];
    const first = await run(url, '--batch', '2');
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain(`backfill in batches of 2: `);
    expect(first.out).toContain(`, ${n} rows`);

    // Every line carries its sale's time, and a line written now gets it from the trigger.
    const { rows: wrong } = await db.query('SELECT 1 FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.sale_created_at IS DISTINCT FROM s.created_at');
    expect(wrong).toEqual([]);
    expect(await saleLinesShape(url)).toBe(await saleLinesShape(system().databaseUrls.sales));

    const { rows: recorded } = await db.query<{ checksum: string }>('SELECT checksum FROM "_prisma_migrations" WHERE migration_name = $1', [
      SALE_LINES_MIGRATION,
    ]);
    const file = fs.readFileSync(path.join(MIGRATIONS, SALE_LINES_MIGRATION, 'migration.sql'));
    expect(recorded).toEqual([{ checksum: crypto.createHash('sha256').update(file).digest('hex') }]);

    const later = await applyMigrations(url, MIGRATIONS);
    expect(later).not.toContain(SALE_LINES_MIGRATION);
    expect(later.length).toBeGreaterThan(0);

    const again = await run(url);
    expect(again).toMatchObject({ code: 0 });
    expect(again.out).toContain('already applied, nothing to do');
  });
});
