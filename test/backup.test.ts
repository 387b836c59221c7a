/**
 * Issue 25 item 2: `pnpm backup` and `pnpm restore`, run as an operator runs them (processes of their own, real
 * pg_dump/pg_restore 17, on a shop with a PostgreSQL of its own). A backup taken while purchases run restores into
 * fresh databases; the shop started on them balances after the audit's repair. A sale completed after customers'
 * dump was taken is shown by the audit and settled by --repair (its debit recorded). A restore refuses databases in
 * use without --force, and a damaged dump fails its checksum before anything changes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, SERVICES, startService, type ServiceName, type ServiceProcess } from '@shop/devkit';
import { startOwnShop, type OwnShop } from './support/own-shop';
import { auditBooks, driftOf } from './support/audit-books';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '..');
const NAMES = Object.keys(SERVICES) as ServiceName[];
const PURCHASERS = 8;
/** What a sale taken between two dumps leaves behind (sales is dumped last): the steps its dump says were taken. */
const SKEW_KINDS = ['missing_debit', 'missing_stock_movement', 'missing_refund_credit', 'missing_return'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(script: 'backup' | 'restore', args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `scripts/${script}.ts`, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}
const databaseEnv = (urls: Record<ServiceName, string>) => Object.fromEntries(NAMES.map((name) => [`${name.toUpperCase()}_DATABASE_URL`, urls[name]]));
const manifestOf = (folder: string) => JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));

let shop: OwnShop;
let work: string;
/** The shop restored from the backup under load: fresh databases on the same server, its own four services. */
const restored = { urls: {} as Record<ServiceName, string>, env: {} as Record<ServiceName, Record<string, string>>, processes: [] as ServiceProcess[] };
beforeAll(async () => {
  shop = await startOwnShop({}, { readyTimeoutMs: 180_000 });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-backup-test-'));
});
afterAll(async () => {
  await Promise.all(restored.processes.map((p) => p.stop()));
  await shop?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('pnpm backup and pnpm restore', () => {
  const fixtures = {} as { buyers: Array<{ id: string; token: string }>; items: Array<{ id: string }>; saleBefore: string };

  it('backs up under purchase load, restores into fresh databases, and the shop started on them balances after the audit’s repair', async () => {
    const buyers: Array<{ id: string; token: string }> = [];
    const items: Array<{ id: string }> = [];
    for (let i = 0; i < 4; i++) {
      buyers.push(await shop.newCustomer(100_000_000));
      items.push(await shop.newItem(1_000_000, 100));
    }
    const first = await shop.call(shop.url('sales'), 'POST', '/sales', { token: buyers[0]!.token, body: { itemId: items[0]!.id, quantity: 1 } });
    expect(first.status).toBe(201);
    Object.assign(fixtures, { buyers, items, saleBefore: first.body.id });

    let stop = false;
    const answers: number[] = [];
    const purchaser = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const buyer = buyers[(n + i) % buyers.length]!;
        const lines = [{ itemId: items[i % items.length]!.id, quantity: 1 + (i % 3) }];
        answers.push((await shop.call(shop.url('sales'), 'POST', '/sales', { token: buyer.token, body: { lines } })).status);
      }
    };
    const load = Array.from({ length: PURCHASERS }, (_, n) => purchaser(n));
    await shop.until(() => Promise.resolve(answers.filter((status) => status === 201).length >= 40), 'purchases under way');
    const folder = path.join(work, 'under-load');
    const backup = await run('backup', [folder], databaseEnv(shop.system.context.databaseUrls));
    const during = answers.length;
    stop = true;
    await Promise.all(load);
    expect(backup.stderr).toContain('[backup] done');
    expect(backup.code).toBe(0);
    expect(backup.stdout.trim()).toBe(folder);
    expect(answers.length).toBeGreaterThan(during); // purchases went on while the dumps were taken
    expect(answers.filter((status) => status !== 201)).toEqual([]);

    const manifest = manifestOf(folder);
    expect(manifest.order).toEqual(['customers', 'inventory', 'reviews', 'sales']);
    for (const name of NAMES) {
      const entry = manifest.databases[name];
      expect(entry).toMatchObject({ file: `${name}.dump`, serverVersion: expect.stringMatching(/^17\./) });
      const known = fs.readdirSync(path.join(ROOT, 'prisma', name, 'migrations'), { withFileTypes: true }).filter((e) => e.isDirectory());
      expect(entry.migrations).toEqual(known.map((e) => e.name).sort());
      expect(fs.statSync(path.join(folder, entry.file)).size).toBe(entry.bytes);
    }
    expect(manifest.pgDump.version).toMatch(/PostgreSQL\) 1[7-9]/);

    // Fresh databases on the same server: created, nothing in them.
    for (const name of NAMES) {
      const url = new URL(shop.system.context.databaseUrls[name]);
      url.pathname = `/${url.pathname.slice(1)}_restored`;
      restored.urls[name] = url.toString();
      await shop.query(name, `CREATE DATABASE "${url.pathname.slice(1)}"`);
    }
    const restore = await run('restore', [folder, '--no-audit'], databaseEnv(restored.urls));
    expect(restore.stderr).toContain('Start the services on these databases');
    expect(restore.code).toBe(0);

    // The shop on the restored databases: the suite's settings, its own ports, each service wired to the others.
    const ports = Object.fromEntries(await Promise.all(NAMES.map(async (name) => [name, await freePort()]))) as Record<ServiceName, number>;
    const peers = {
      CUSTOMERS_URL: `http://127.0.0.1:${ports.customers}`,
      INVENTORY_URL: `http://127.0.0.1:${ports.inventory}`,
      SALES_URL: `http://127.0.0.1:${ports.sales}`,
      REVIEWS_URL: `http://127.0.0.1:${ports.reviews}`,
      JWKS_URL: `http://127.0.0.1:${ports.customers}/.well-known/jwks.json`,
    };
    for (const name of NAMES) {
      restored.env[name] = { ...shop.system.context.env[name], ...peers, PORT: String(ports[name]), DATABASE_URL: restored.urls[name] };
      restored.processes.push(await startService(name, restored.env[name], { stdio: 'ignore', readyTimeoutMs: 180_000 }));
    }
    const system = { context: { env: restored.env } } as unknown as OwnShop['system'];
    const audit = await auditBooks(system);
    // Whatever drift there is, it is the skew between the dumps (a sale sales' later dump holds, the others' not).
    expect(Object.keys(driftOf(audit.report)).filter((kind) => !SKEW_KINDS.includes(kind))).toEqual([]);
    const repair = await auditBooks(system, '--repair');
    expect(repair.report.unrepaired).toBe(0);
    expect(repair.code).toBe(0);
    const again = await auditBooks(system);
    expect(driftOf(again.report)).toEqual({});
    expect(again.code).toBe(0);
    console.log(
      `backup under load: ${answers.length} purchases answered (${during} before the backup finished); ${/done in .*/.exec(backup.stderr)?.[0]}; ` +
        `restore: ${/restored the backup .* in [\d.]+ s/.exec(restore.stderr)?.[0]}; ` +
        `sizes ${NAMES.map((n) => `${n} ${manifest.databases[n].bytes} B`).join(', ')}; drift before repair ${JSON.stringify(driftOf(audit.report))}; ` +
        `restored ${repair.report.counted.sales} sales (${repair.report.pending.sales} pending)`,
    );

    // The restored shop answers: the buyer's sale from before the backup is there.
    const sale = await shop.call(peers.SALES_URL, 'GET', `/sales/${fixtures.saleBefore}`, { token: buyers[0]!.token });
    expect(sale.status).toBe(200);
  });

  it('shows a sale completed after customers’ dump was taken, and --repair records its debit', async () => {
    const { buyers, items } = fixtures;
    const before = path.join(work, 'before');
    const after = path.join(work, 'after');
    expect((await run('backup', [before], databaseEnv(restored.urls))).code).toBe(0);
    // A sale on the restored shop, completed after "customers' dump" (the one in `before`).
    const sale = await shop.call(restored.env.sales.SALES_URL!, 'POST', '/sales', { token: buyers[1]!.token, body: { itemId: items[1]!.id, quantity: 2 } });
    expect(sale.status).toBe(201);
    expect((await run('backup', [after], databaseEnv(restored.urls))).code).toBe(0);
    // The skewed backup: customers as it was before the sale, the others after it.
    const skewed = path.join(work, 'skewed');
    fs.mkdirSync(skewed);
    const manifest = manifestOf(after);
    manifest.databases.customers = manifestOf(before).databases.customers;
    for (const name of NAMES) fs.copyFileSync(path.join(name === 'customers' ? before : after, `${name}.dump`), path.join(skewed, `${name}.dump`));
    fs.writeFileSync(path.join(skewed, 'manifest.json'), JSON.stringify(manifest));

    const env = { ...databaseEnv(restored.urls), ...restored.env.sales, LOG_LEVEL: 'error' };
    // The restored shop's databases are in use: refused, nothing changed.
    const refused = await run('restore', [skewed], env);
    expect(refused.stderr).toMatch(
      /refused: refusing to restore over data \(--force replaces it\): customers \(rows in customers\), inventory \(rows in items\), sales \(rows in sales\)/,
    );
    expect(refused.code).toBe(2);
    const [debit] = await queryRestored('customers', `SELECT count(*)::int AS n FROM ledger_entries WHERE type = 'purchase' AND reference = $1`, [
      sale.body.id,
    ]);
    expect(debit.n).toBe(1);

    // --force replaces them; the audit that follows names the sale, and --repair records its debit (exit 0).
    const forced = await run('restore', [skewed, '--force', '--repair'], env);
    expect(forced.stdout).toMatch(
      new RegExp(`missing_debit saleId=${sale.body.id} customerId=${buyers[1]!.id}: no purchase debit of 200 cents \\[repaired\\]`),
    );
    expect(forced.code).toBe(0);
    const [recorded] = await queryRestored(
      'customers',
      `SELECT count(*)::int AS n, min(amount_cents)::int AS amount FROM ledger_entries WHERE type = 'purchase' AND reference = $1`,
      [sale.body.id],
    );
    expect(recorded).toEqual({ n: 1, amount: -200 });
    const system = { context: { env: restored.env } } as unknown as OwnShop['system'];
    expect(driftOf((await auditBooks(system)).report)).toEqual({});
  });

  it('refuses a backup whose dump fails its checksum, before touching a database', async () => {
    const damaged = path.join(work, 'damaged');
    fs.cpSync(path.join(work, 'after'), damaged, { recursive: true });
    const file = path.join(damaged, 'inventory.dump');
    const bytes = fs.readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    const [before] = await queryRestored('sales', 'SELECT count(*)::int AS n FROM sales');
    const result = await run('restore', [damaged, '--force'], databaseEnv(restored.urls));
    expect(result.stderr).toContain('inventory.dump fails its checksum');
    expect(result.code).toBe(2);
    const [after] = await queryRestored('sales', 'SELECT count(*)::int AS n FROM sales');
    expect(after.n).toBe(before.n);
  });
});

async function queryRestored(service: ServiceName, text: string, params: unknown[] = []): Promise<any[]> {
  const client = new pg.Client({ connectionString: restored.urls[service] });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}
