// The compose stage's backup round trip (scripts/test-compose.ts runs it on the stack it started): a buyer's
// purchases run while `docker-compose --profile backup run --rm backup` dumps the four databases; the manifest
// and its dumps are checked; a sale made after the backup is the marker. Then the services are stopped, the
// backup is restored over their databases with the host's `pnpm restore <folder> --force --no-audit` (reaching
// the PostgreSQL container at its address on podman's network), the services are started again, the marker sale
// must be gone, and the books audit runs in the sales container (`--repair` first, as docs/operations.md says
// after a restore, then plainly): it must exit 0, books balanced.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SERVICES = ['customers', 'inventory', 'sales', 'reviews'] as const;
type Service = (typeof SERVICES)[number];
const MINUTE = 60_000;
const json = 'application/json';

export interface ComposeStage {
  step<T>(name: string, action: () => Promise<T>): Promise<T>;
  run(command: string, args: string[], timeoutMs: number, options?: { quiet?: boolean; env?: NodeJS.ProcessEnv }): Promise<string>;
  log(line: string): void;
  url(name: Service): string;
  waitHealthy(timeoutMs: number): Promise<void>;
  /** The compose project's name (its containers carry it as a label). */
  project: string;
  /** The .env `pnpm compose:env` wrote: the admin's and the database roles' passwords. */
  envFile: string;
}

async function call(stage: ComposeStage, name: Service, route: string, init: { method?: string; token?: string; body?: unknown; key?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': json };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.key) headers['idempotency-key'] = init.key;
  const response = await fetch(stage.url(name) + route, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
}

async function login(stage: ComposeStage, username: string, password: string): Promise<string> {
  const { status, body } = await call(stage, 'customers', '/auth/login', { body: { username, password } });
  if (status !== 200) throw new Error(`${username} cannot log in: ${status}`);
  return body.accessToken as string;
}

/**
 * An item with stock and `buyers` customers with money, for the load (names of their own: the curl session's stay
 * as they are). One buyer per loop: PURCHASES_PER_MINUTE (default 60) is per customer.
 */
async function prepareLoad(stage: ComposeStage, adminPassword: string, buyers: number) {
  const admin = await login(stage, 'admin', adminPassword);
  const item = await call(stage, 'inventory', '/items', {
    token: admin,
    body: { name: 'Backup mug', category: 'accessories', priceCents: 50, stockCount: 1000 },
  });
  if (item.status !== 201) throw new Error(`stocking the load's item: ${item.status} ${JSON.stringify(item.body)}`);
  const tokens: string[] = [];
  for (let i = 1; i <= buyers; i++) {
    const buyer = { username: `backupload${i}`, password: 'backup-load-password', firstName: 'Backup', lastName: 'Load', age: 40 };
    const profile = { ...buyer, address: '1 Dump Lane', gender: 'female', maritalStatus: 'single' };
    const registered = await call(stage, 'customers', '/customers', { body: profile });
    if (registered.status !== 201) throw new Error(`registering ${buyer.username}: ${registered.status} ${JSON.stringify(registered.body)}`);
    const token = await login(stage, buyer.username, buyer.password);
    const deposit = await call(stage, 'customers', `/customers/${buyer.username}/wallet/deposits`, { token, body: { amountCents: 10_000 } });
    if (deposit.status !== 201) throw new Error(`${buyer.username}'s deposit: ${deposit.status}`);
    tokens.push(token);
  }
  return { itemId: item.body.id as string, tokens };
}

/**
 * One loop per buyer, each buying one item at a time (at most one purchase started per 1.2 s: under the per-customer
 * limit) until `stop` settles; the answers by status.
 */
async function purchaseLoad(stage: ComposeStage, load: { itemId: string; tokens: string[] }, stop: Promise<unknown>) {
  let stopped = false;
  stop.then(
    () => (stopped = true),
    () => (stopped = true),
  );
  const statuses: Record<string, number> = {};
  let n = 0;
  await Promise.all(
    load.tokens.map(async (token) => {
      while (!stopped) {
        const pace = new Promise((resolve) => setTimeout(resolve, 1200));
        const { status } = await call(stage, 'sales', '/sales', { token, key: `backup-load-${n++}`, body: { itemId: load.itemId, quantity: 1 } });
        statuses[status] = (statuses[status] ?? 0) + 1;
        await pace;
      }
    }),
  );
  return statuses;
}

/** The one backup folder the run wrote, its manifest checked against its dumps (sizes and sha256). */
function checkBackup(hostDir: string) {
  const folders = fs.readdirSync(hostDir).filter((name) => fs.statSync(path.join(hostDir, name)).isDirectory());
  if (folders.length !== 1 || folders[0]!.endsWith('.partial')) throw new Error(`backup folder holds ${JSON.stringify(folders)}, not one backup`);
  const folder = path.join(hostDir, folders[0]!);
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
  if (manifest.format !== 'shop-backup/1') throw new Error(`manifest format ${manifest.format}`);
  const lines = [`manifest: ${manifest.startedAt} → ${manifest.finishedAt}, ${manifest.pgDump.version}, order ${manifest.order.join(', ')}`];
  for (const name of ['customers', 'inventory', 'reviews', 'sales']) {
    const entry = manifest.databases[name];
    const dump = fs.readFileSync(path.join(folder, entry.file));
    const sha256 = createHash('sha256').update(dump).digest('hex');
    if (dump.length !== entry.bytes || sha256 !== entry.sha256)
      throw new Error(`${entry.file}: ${dump.length} bytes, sha256 ${sha256}; manifest ${entry.bytes}, ${entry.sha256}`);
    if (entry.migrations.length === 0) throw new Error(`${name}: no migrations in the manifest`);
    lines.push(`${entry.file}: ${entry.bytes} bytes, ${entry.migrations.length} migrations, dumped at ${entry.dumpedAt}`);
  }
  return { folder, lines };
}

/** The address of the project's PostgreSQL container on its network (the host reaches it directly: rootful podman). */
async function postgresAddress(stage: ComposeStage): Promise<string> {
  const filters = ['--filter', `label=com.docker.compose.project=${stage.project}`, '--filter', 'label=com.docker.compose.service=postgres'];
  const name = (await stage.run('podman', ['ps', ...filters, '--format', '{{.Names}}'], MINUTE, { quiet: true })).trim().split('\n')[0];
  if (!name) throw new Error('no running postgres container');
  const address = (
    await stage.run('podman', ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', name], MINUTE, { quiet: true })
  )
    .trim()
    .split(/\s+/)[0];
  if (!address) throw new Error(`${name} has no address`);
  return address;
}

export async function backupRoundTrip(stage: ComposeStage) {
  const dotenv = fs.readFileSync(stage.envFile, 'utf8');
  const fromEnv = (key: string) => {
    const value = new RegExp(`^${key}=(.*)$`, 'm').exec(dotenv)?.[1];
    if (!value) throw new Error(`.env has no ${key}`);
    return value;
  };
  const compose = (command: string, timeoutMs: number, env?: NodeJS.ProcessEnv) => stage.run('bash', ['-c', command], timeoutMs, { env });
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-ci-backups-'));
  try {
    const load = await stage.step('backup: a buyer and an item for the load', () => prepareLoad(stage, fromEnv('ADMIN_PASSWORD'), 4));
    const backupCommand = 'docker-compose --profile backup run --rm backup';
    await stage.step(`${backupCommand} (BACKUP_HOST_DIR) under 4 buyers' purchase loops`, async () => {
      const backup = compose(backupCommand, 5 * MINUTE, { BACKUP_HOST_DIR: hostDir });
      const statuses = await purchaseLoad(stage, load, backup);
      await backup;
      stage.log(`purchases while the backup ran, by status: ${JSON.stringify(statuses)}`);
      if (!statuses[201]) throw new Error('no purchase completed while the backup ran');
      const unexpected = Object.keys(statuses).filter((status) => status !== '201');
      if (unexpected.length > 0) throw new Error(`purchases answered ${unexpected.join(', ')} during the backup`);
    });
    const { folder, lines } = await stage.step('backup: manifest and dumps', () => Promise.resolve(checkBackup(hostDir)));
    for (const line of lines) stage.log(line);
    const late = await call(stage, 'sales', '/sales', { token: load.tokens[0], key: 'backup-late', body: { itemId: load.itemId, quantity: 1 } });
    if (late.status !== 201) throw new Error(`the sale after the backup: ${late.status}`);

    const services = SERVICES.join(' ');
    await stage.step(`docker-compose stop ${services}`, () => compose(`docker-compose stop ${services}`, 3 * MINUTE));
    await stage.step('pnpm restore <backup> --force --no-audit (over the stack databases)', async () => {
      const address = await postgresAddress(stage);
      const urls = Object.fromEntries(
        SERVICES.map((name) => [
          `${name.toUpperCase()}_DATABASE_URL`,
          `postgresql://${name}:${encodeURIComponent(fromEnv(`${name.toUpperCase()}_DB_PASSWORD`))}@${address}:5432/${name}`,
        ]),
      );
      await stage.run('pnpm', ['--silent', 'restore', folder, '--force', '--no-audit'], 5 * MINUTE, { env: urls });
    });
    await stage.step(`docker-compose start ${services}`, () => compose(`docker-compose start ${services}`, 3 * MINUTE));
    await stage.step('every service healthy on the restored databases', () => stage.waitHealthy(3 * MINUTE));
    const gone = await call(stage, 'sales', `/sales/${late.body.id}`, { token: load.tokens[0] });
    if (gone.status !== 404) throw new Error(`the sale made after the backup is still there after the restore (${gone.status})`);
    stage.log(`the sale made after the backup (${late.body.id}) is gone: 404`);
    const audit = 'docker-compose exec -T sales node --conditions=compiled dist/audit-books.js';
    await stage.step(`${audit} --repair`, () => compose(`${audit} --repair`, 5 * MINUTE));
    await stage.step(`${audit} (books balanced: exit 0)`, () => compose(audit, 5 * MINUTE));
  } finally {
    fs.rmSync(hostDir, { recursive: true, force: true });
  }
}
