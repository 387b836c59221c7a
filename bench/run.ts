// `pnpm bench`: starts the real shop on its own databases (production settings, fsync on), seeds it,
// measures each scenario under concurrent load for a fixed time, measures the same questions against a
// bare node:http + pg ceiling, checks the books after the purchases, and writes the table to
// bench/results/. Run by hand; never part of the pass/fail test run.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { freePort } from '@shop/devkit';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/kit/tokens';
import { startTestSystem, type TestSystem } from '@shop/testkit';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
/** Each scenario is measured in this many rounds of DURATION seconds, taking turns with its ceiling. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 400);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2000);
const REVIEWS_PER_ITEM = Number(process.env.BENCH_REVIEWS_PER_ITEM ?? 10);
const BCRYPT_ROUNDS = Number(process.env.BENCH_BCRYPT_ROUNDS ?? 10);
const INITIAL_STOCK = 1_000_000;
const STARTING_BALANCE = 100_000_000;
/** Sales bought before the refund scenario, and the units of each: enough for every refund request of a run. */
const REFUND_SALES = Number(process.env.BENCH_REFUND_SALES ?? 1000);
const REFUND_UNITS = 30;
const RESULTS = path.join(__dirname, 'results');
/** BENCH_ONLY=purchase,items runs the scenarios whose name contains one of the words (case-insensitive). */
const ONLY = process.env.BENCH_ONLY?.toLowerCase().split(',');
/**
 * BENCH_SOAK=<seconds> runs, instead of the scenarios, one mixed load (every read and purchases) for that long,
 * sampling each service's RSS every 5 s, to show memory stays flat (bench/results/soak.md).
 */
const SOAK_SECONDS = Number(process.env.BENCH_SOAK ?? 0);
/** BENCH_PROFILE=<dir> makes every service write a V8 CPU profile there when it stops. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
/**
 * After its closed-loop rounds, each scenario (but login, which bcrypt keeps far above it) is offered a fixed
 * rate (open loop) at falling fractions of the rate it reached, until one keeps p99 within P99_TARGET_MS: the
 * rate at that tail, reported beside the closed-loop figure. BENCH_P99_TARGET_MS=0 skips it.
 */
const P99_TARGET_MS = Number(process.env.BENCH_P99_TARGET_MS ?? 100);
const OPEN_LOOP_FRACTIONS = [0.9, 0.75, 0.6, 0.45, 0.3, 0.15];
/** BENCH_PG_SETTINGS=commit_delay=1000,commit_siblings=5 sets PostgreSQL settings (ALTER SYSTEM) for an experiment. */
const PG_SETTINGS = (process.env.BENCH_PG_SETTINGS ?? '').split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string]);
// BENCH_POOL_SIZE=<n> overrides every service's DATABASE_POOL_SIZE (default 10) for an experiment.

type Row = {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  ceilingRps?: number;
  ceilingP99?: number;
  ratio?: number;
  rssMb: Record<string, number>;
  /** CPU µs per request by party (services, postgres, loadgen), for the shop and for its ceiling. */
  cpuUs: Record<string, number>;
  ceilingCpuUs?: Record<string, number>;
  /** The highest offered rate (open loop) whose p99 stayed within P99_TARGET_MS, and that p99. */
  atTarget?: { rate: number; p99: number } | null;
};

const query = async (url: string, text: string, params: unknown[] = []) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
};

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/** /proc/<pid>/stat's fields after the command name (field 3 onwards), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

/** CPU milliseconds (user + system) a process has used so far; 0 when it is gone. */
function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS : 0;
}

/**
 * CPU milliseconds all of PostgreSQL has used so far: every live postgres process, plus what the backends
 * that have exited used (the postmaster's reaped-children time), so connections closing mid-run still count.
 */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
    const parentIsPostgres = (() => {
      try {
        return fs.readFileSync(`/proc/${fields[1]}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })();
    if (!parentIsPostgres) total += (Number(fields[13]) + Number(fields[14])) / TICKS_PER_MS; // the postmaster: its reaped children
  }
  return total;
}

/** CPU used by each party during `work`: the named processes, PostgreSQL and this process (the load generator). */
async function cpuDuring<T>(pids: Record<string, number>, work: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const pgBefore = postgresCpuMs();
  const selfBefore = process.cpuUsage();
  const result = await work();
  const used: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) used[name] = cpuMs(pid) - before[name]!;
  used.postgres = postgresCpuMs() - pgBefore;
  const self = process.cpuUsage(selfBefore);
  used.loadgen = (self.user + self.system) / 1000;
  return [result, used];
}

/** A process's resident memory in MB (0 when it is gone). */
function rssMb(pid: number): number {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** Peak resident memory of each service process while `work` runs, sampled from /proc. */
async function withRss<T>(system: TestSystem, work: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const p of system.processes) peak[p.name] = Math.max(peak[p.name] ?? 0, rssMb(p.child.pid!));
  };
  const timer = setInterval(sample, 250);
  try {
    return [await work(), (sample(), peak)];
  } finally {
    clearInterval(timer);
  }
}

/** Unmeasured load before each measurement, so JIT warm-up and new pool connections are not in the figures. */
const WARMUP_SECONDS = 2;
async function warmUp(url: string, requests: autocannon.Request[]) {
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_SECONDS, requests });
}

async function load(title: string, url: string, requests: autocannon.Request[], connections = CONNECTIONS, overallRate?: number) {
  const result = await autocannon({ title, url, connections, duration: DURATION, requests, ...(overallRate && { overallRate }) });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMb: Record<string, number>;
  /** CPU milliseconds by party during the run. */
  cpuMs: Record<string, number>;
}

async function measure(system: TestSystem, pids: Record<string, number>, url: string, requests: autocannon.Request[]): Promise<Measured> {
  const [[result, rssMb], cpuMs] = await cpuDuring(pids, () => withRss(system, () => load(url, url, requests)));
  return { ...result, rssMb, cpuMs };
}

/** The highest of falling fixed rates (fractions of the closed-loop rate) whose p99 stays within P99_TARGET_MS. */
async function rateAtTarget(url: string, requests: autocannon.Request[], closedLoopRps: number): Promise<{ rate: number; p99: number } | null> {
  for (const fraction of OPEN_LOOP_FRACTIONS) {
    const rate = Math.max(1, Math.round(closedLoopRps * fraction));
    const result = await load(url, url, requests, CONNECTIONS, rate);
    if (result.errors === 0 && result.p99 <= P99_TARGET_MS) return { rate, p99: result.p99 };
  }
  return null;
}

/** Rounds of equal length: mean throughput, median p50, worst p99, all errors, peak RSS, CPU per request. */
function combine(rounds: Measured[]): Omit<Row, 'scenario'> {
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const rps = rounds.reduce((sum, r) => sum + r.rps, 0) / rounds.length;
  const requests = Math.max(1, rounds.reduce((sum, r) => sum + r.rps * DURATION, 0));
  const parties = Object.keys(rounds[0]!.cpuMs);
  const services = Object.keys(rounds[0]!.rssMb);
  return {
    rps: Math.round(rps),
    p50: sorted(rounds.map((r) => r.p50))[Math.floor(rounds.length / 2)]!,
    p99: Math.max(...rounds.map((r) => r.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    rssMb: Object.fromEntries(services.map((name) => [name, Math.max(...rounds.map((r) => r.rssMb[name] ?? 0))])),
    cpuUs: Object.fromEntries(parties.map((name) => [name, Math.round((rounds.reduce((sum, r) => sum + r.cpuMs[name]!, 0) * 1000) / requests)])),
  };
}

async function seed(system: TestSystem) {
  const { context } = system;
  const adminToken = (
    (await (await fetch(`${context.urls.customers}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(context.admin),
    })).json()) as { accessToken: string }
  ).accessToken;
  const categories = ['food', 'clothes', 'accessories', 'electronics'];
  const itemIds: string[] = [];
  for (let i = 0; i < ITEMS; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, ITEMS - i) }, (_, j) =>
        fetch(`${context.urls.inventory}/items`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({
            name: `Bench item ${i + j}`,
            category: categories[(i + j) % 4],
            priceCents: 100 + ((i + j) * 7919) % 9900,
            description: `A realistic description for item ${i + j}, long enough to be searched.`,
            stockCount: INITIAL_STOCK,
          }),
        }).then((r) => r.json() as Promise<{ id: string }>),
      ),
    );
    itemIds.push(...batch.map((item: { id: string }) => item.id));
  }

  // Customers straight into the database (one bcrypt hash for all): registering thousands through the API
  // would measure bcrypt for minutes. Each gets a deposit, so the ledger matches the balance.
  const hash = await bcrypt.hash('bench-password', BCRYPT_ROUNDS);
  const customers = await query(
    context.databaseUrls.customers,
    `INSERT INTO customers (id, username, username_key, password_hash, first_name, last_name, age, address, gender, marital_status, balance_cents, updated_at)
     SELECT gen_random_uuid(), 'bench' || g, 'bench' || g, $1, 'Bench', 'Customer', 30, 'Bench Street', 'other', 'single', $2, now()
     FROM generate_series(1, $3::int) g RETURNING id, username`,
    [hash, STARTING_BALANCE, CUSTOMERS],
  );
  await query(
    context.databaseUrls.customers,
    `INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents)
     SELECT gen_random_uuid(), id, 'deposit', $1, $1 FROM customers WHERE username_key LIKE 'bench%'`,
    [STARTING_BALANCE],
  );

  // Approved reviews, spread over the items.
  await query(
    context.databaseUrls.reviews,
    `INSERT INTO reviews (id, item_id, customer_id, username, username_key, rating, comment, status, verified_purchase, purchase_checked)
     SELECT gen_random_uuid(), (i.ids)[1 + (g % array_length(i.ids, 1))], (c.ids)[1 + ((g * 31) % array_length(c.ids, 1))],
            'bench', 'bench', 1 + g % 5, 'Bench review ' || g, 'approved', false, true
     FROM generate_series(0, $1::int - 1) g, (SELECT $2::uuid[] AS ids) i, (SELECT $3::uuid[] AS ids) c
     ON CONFLICT DO NOTHING`,
    [ITEMS * REVIEWS_PER_ITEM, itemIds, customers.map((c) => c.id)],
  );

  const jwks = (await (await fetch(`${context.urls.customers}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  const kid = jwks.keys[0]!.kid;
  const key = context.env.customers.JWT_PRIVATE_KEY!;
  const tokens = customers.map((c) =>
    // Signed here rather than logged in: 2,000 logins would measure bcrypt. Sales checks only the signature,
    // issuer, audience and expiry, so the session id need not exist.
    jwt.sign({ username: c.username, role: 'customer', sid: crypto.randomUUID() }, key, {
      algorithm: 'RS256',
      keyid: kid,
      subject: c.id,
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      expiresIn: 3600,
    }),
  );
  return { itemIds, customers: customers as { id: string; username: string }[], tokens, adminToken };
}

/**
 * One webhook subscription to sales' sale.completed, to a receiver in this process that answers 204: the
 * purchase scenario is measured with it inactive and active in turns. `settle` turns it on and waits until
 * every delivery made for it is delivered.
 */
async function webhookSubscription(system: TestSystem, adminToken: string) {
  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume().on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const sales = system.context.urls.sales;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` };
  const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  const created = (await (await fetch(`${sales}/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url, events: ['sale.completed'] }) })).json()) as { id: string };
  const setActive = async (active: boolean) => {
    const res = await fetch(`${sales}/webhooks/${created.id}`, { method: 'PATCH', headers, body: JSON.stringify({ active }) });
    if (res.status !== 200) throw new Error(`could not set the subscription active=${active}: ${res.status}`);
  };
  await setActive(false);
  return {
    activate: () => setActive(true),
    deactivate: () => setActive(false),
    async settle() {
      await setActive(true);
      const count = async (status: string) =>
        (await query(system.context.databaseUrls.sales, `SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND status = $2`, [created.id, status]))[0].n as number;
      const deadline = Date.now() + 120_000;
      while ((await count('pending')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1000));
      return { delivered: await count('delivered'), pending: await count('pending'), failed: await count('failed'), received };
    },
    /** Without it a run that skips the purchase scenario would never exit. */
    close: () => receiver.close(),
  };
}

/** After the purchase run: stock, wallets and sales must agree, and nothing may be left pending. */
async function checkBooks(system: TestSystem, itemIds: string[]) {
  const { databaseUrls } = system.context;
  const problems: string[] = [];
  // A purchase whose undo could not reach a service is left pending for the sweep: wait for it (bounded).
  const deadline = Date.now() + 180_000;
  let pending: { n: number };
  const PENDING = `SELECT ((SELECT count(*) FROM sales WHERE status = 'PENDING') + (SELECT count(*) FROM refunds WHERE status = 'PENDING'))::int AS n`;
  while (([pending] = await query(databaseUrls.sales, PENDING)) && pending.n && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (pending!.n) problems.push(`${pending!.n} sales or refunds left pending`);
  const sold = await query(
    databaseUrls.sales,
    `SELECT l.item_id, sum(l.quantity)::int AS units FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE s.status = 'COMPLETED' GROUP BY l.item_id`,
  );
  // What customers kept: totals less what was refunded.
  const [{ cents }] = await query(databaseUrls.sales, `SELECT coalesce(sum(total_cents - refunded_cents), 0)::bigint AS cents FROM sales WHERE status = 'COMPLETED'`);
  const restocked = await query(
    databaseUrls.sales,
    `SELECT rl.item_id, sum(rl.quantity)::int AS units FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
     WHERE r.status = 'COMPLETED' AND r.restock GROUP BY rl.item_id`,
  );
  const restockedByItem = new Map(restocked.map((r) => [r.item_id as string, r.units as number]));
  const soldByItem = new Map(sold.map((r) => [r.item_id as string, r.units as number]));
  const stock = await query(databaseUrls.inventory, 'SELECT id, stock_count FROM items WHERE id = ANY($1::uuid[])', [itemIds]);
  for (const row of stock) {
    const expected = INITIAL_STOCK - (soldByItem.get(row.id) ?? 0) + (restockedByItem.get(row.id) ?? 0);
    if (row.stock_count !== expected) problems.push(`item ${row.id}: stock ${row.stock_count}, expected ${expected}`);
  }
  const [wallets] = await query(
    databaseUrls.customers,
    `SELECT count(*) FILTER (WHERE c.balance_cents <> l.total)::int AS mismatched, sum(c.balance_cents)::bigint AS balances
     FROM customers c JOIN (SELECT customer_id, sum(amount_cents) AS total FROM ledger_entries GROUP BY customer_id) l ON l.customer_id = c.id
     WHERE c.username_key LIKE 'bench%'`,
  );
  if (wallets.mismatched) problems.push(`${wallets.mismatched} wallets differ from their ledger`);
  const revenue = BigInt(cents);
  const expectedBalances = BigInt(STARTING_BALANCE) * BigInt(CUSTOMERS) - revenue;
  if (BigInt(wallets.balances) !== expectedBalances) problems.push(`wallets hold ${wallets.balances}, expected ${expectedBalances}`);
  const units = sold.reduce((sum, r) => sum + r.units, 0);
  const refundedUnits = restocked.reduce((sum, r) => sum + r.units, 0);
  return { problems, completedUnits: units, refundedUnits, revenueCents: Number(revenue) };
}

async function main() {
  console.log(`starting the shop (production settings, fsync on) …`);
  const system = await startTestSystem({
    nodeEnv: 'production',
    bcryptRounds: BCRYPT_ROUNDS,
    fsync: true,
    // A short sweep so that purchases left pending by a timeout are settled before the books are checked.
    env: {
      // The production default: every request's log line is written (to /dev/null here, as to a collector there).
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      SWEEP_AGE_MS: '40000',
      SWEEP_INTERVAL_MS: '2000',
      ...(process.env.BENCH_POOL_SIZE && { DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE }),
      ...(PROFILE_DIR && { NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile.cjs')}`, BENCH_PROFILE_DIR: path.resolve(PROFILE_DIR) }),
    },
    stdio: process.env.BENCH_SHOW_LOGS ? 'inherit' : 'ignore',
  });
  const ceilingPort = await freePort();
  const ceiling = fork(path.join(__dirname, 'ceiling.ts'), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      PORT: String(ceilingPort),
      CUSTOMERS_DATABASE_URL: system.context.databaseUrls.customers,
      INVENTORY_DATABASE_URL: system.context.databaseUrls.inventory,
      SALES_DATABASE_URL: system.context.databaseUrls.sales,
      REVIEWS_DATABASE_URL: system.context.databaseUrls.reviews,
    },
  });
  await new Promise((resolve) => ceiling.once('message', resolve));
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}`;
  const rows: Row[] = [];
  let hooks: Awaited<ReturnType<typeof webhookSubscription>> | undefined;
  try {
    console.log(`seeding ${ITEMS} items, ${CUSTOMERS} customers, ${ITEMS * REVIEWS_PER_ITEM} reviews …`);
    const { itemIds, customers, tokens, adminToken } = await seed(system);
    hooks = await webhookSubscription(system, adminToken);
    let webhooks: Awaited<ReturnType<typeof hooks.settle>> | undefined;
    // Fresh statistics now, rather than autovacuum waking up after the bulk inserts in the middle of a scenario.
    for (const url of Object.values(system.context.databaseUrls)) await query(url, 'VACUUM ANALYZE');
    for (const [name, value] of PG_SETTINGS) {
      if (!/^[a-z_]+$/.test(name) || !/^[\w.]+$/.test(value)) throw new Error(`BENCH_PG_SETTINGS: cannot set ${name}=${value}`);
      await query(system.context.databaseUrls.customers, `ALTER SYSTEM SET ${name} = '${value}'`);
    }
    if (PG_SETTINGS.length) await query(system.context.databaseUrls.customers, 'SELECT pg_reload_conf()');
    const { urls } = system.context;
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;

    // Refunds need sales to refund: one unit per request, handed out in turn to the shop and its ceiling from
    // sales bought before that scenario (REFUND_SALES sales of REFUND_UNITS units), so no request finds nothing left.
    const refundSlots: Array<{ saleId: string; itemId: string; customer: number }> = [];
    let nextSlot = 0;
    const slot = () => refundSlots[nextSlot++ % refundSlots.length]!;
    const buyForRefunds = async () => {
      const bought: Array<{ saleId: string; itemId: string; customer: number }> = [];
      for (let i = 0; i < REFUND_SALES; i += 16) {
        await Promise.all(
          Array.from({ length: Math.min(16, REFUND_SALES - i) }, async (_, j) => {
            const customer = (i + j) % customers.length;
            const itemId = pick(itemIds);
            const res = await fetch(`${urls.sales}/sales`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[customer]}` },
              body: JSON.stringify({ itemId, quantity: REFUND_UNITS }),
            });
            if (res.status !== 201) throw new Error(`buying for the refunds failed: ${res.status} ${await res.text()}`);
            bought.push({ saleId: ((await res.json()) as { id: string }).id, itemId, customer });
          }),
        );
      }
      // Unit by unit, sale after sale, so consecutive requests refund different sales.
      for (let unit = 0; unit < REFUND_UNITS; unit++) refundSlots.push(...bought);
    };
    const basket = () => [...itemIds].sort(() => Math.random() - 0.5).slice(0, 3);

    /** `webhook`: measured twice in every round, without and with one active webhook subscription. */
    const scenarios: Array<{ name: string; service: string; requests: autocannon.Request[]; ceiling?: autocannon.Request[]; prepare?: () => Promise<void>; webhook?: boolean }> = [
      {
        name: 'GET /items (electronics, -priceCents)',
        service: urls.inventory,
        requests: [{ method: 'GET', path: '/items?category=electronics&sort=-priceCents&limit=20' }],
        ceiling: [{ method: 'GET', path: '/items' }],
      },
      {
        name: 'GET /items/:id',
        service: urls.inventory,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/items/${pick(itemIds)}` }) }],
        ceiling: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/item?id=${pick(itemIds)}` }) }],
      },
      {
        name: 'GET /goods',
        service: urls.sales,
        requests: [{ method: 'GET', path: '/goods' }],
        ceiling: [{ method: 'GET', path: '/goods' }],
      },
      {
        name: 'GET /items/:id/reviews',
        service: urls.reviews,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/items/${pick(itemIds)}/reviews` }) }],
        ceiling: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/reviews?item=${pick(itemIds)}` }) }],
      },
      {
        name: 'POST /sales (full purchase)',
        service: urls.sales,
        webhook: true,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const i = Math.floor(Math.random() * customers.length);
              return {
                ...req,
                path: '/sales',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` },
                body: JSON.stringify({ itemId: pick(itemIds) }),
              };
            },
          },
        ],
        ceiling: [
          {
            method: 'POST',
            setupRequest: (req) => ({ ...req, path: '/purchase', body: JSON.stringify({ customerId: pick(customers).id, itemId: pick(itemIds) }) }),
          },
        ],
      },
      {
        name: 'POST /sales (3-line basket)',
        service: urls.sales,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const i = Math.floor(Math.random() * customers.length);
              return {
                ...req,
                path: '/sales',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` },
                body: JSON.stringify({ lines: basket().map((itemId) => ({ itemId })) }),
              };
            },
          },
        ],
        ceiling: [
          {
            method: 'POST',
            setupRequest: (req) => ({ ...req, path: '/purchase', body: JSON.stringify({ customerId: pick(customers).id, itemIds: basket() }) }),
          },
        ],
      },
      {
        name: 'POST /sales/:id/refunds (one unit, restocked)',
        service: urls.sales,
        prepare: buyForRefunds,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const { saleId, itemId, customer } = slot();
              return {
                ...req,
                path: `/sales/${saleId}/refunds`,
                headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[customer]}` },
                body: JSON.stringify({ lines: [{ itemId, quantity: 1 }] }),
              };
            },
          },
        ],
        ceiling: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const { saleId, itemId } = slot();
              return { ...req, path: '/refund', body: JSON.stringify({ saleId, itemId }) };
            },
          },
        ],
      },
      {
        name: `POST /auth/login (bcrypt cost ${BCRYPT_ROUNDS})`,
        service: urls.customers,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => ({
              ...req,
              path: '/auth/login',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username: pick(customers).username, password: 'bench-password' }),
            }),
          },
        ],
      },
    ];

    if (SOAK_SECONDS) {
      await soak(system, scenarios.filter((scenario) => !scenario.name.includes('login')), itemIds);
      return;
    }
    const servicePids = Object.fromEntries(system.processes.map((p) => [p.name, p.child.pid!]));
    let books: Awaited<ReturnType<typeof checkBooks>> | undefined;
    for (const scenario of scenarios) {
      if (ONLY && !ONLY.some((word) => scenario.name.toLowerCase().includes(word))) continue;
      process.stdout.write(`${scenario.name} …`);
      await scenario.prepare?.();
      await warmUp(scenario.service, scenario.requests);
      if (scenario.ceiling) await warmUp(ceilingUrl, scenario.ceiling);
      // The shop and its ceiling take turns, so a machine that slows down or speeds up meanwhile (it is a
      // shared VM) affects both sides of the ratio alike.
      const shop: Measured[] = [];
      const subscribed: Measured[] = [];
      const top: Measured[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        shop.push(await measure(system, servicePids, scenario.service, scenario.requests));
        if (scenario.webhook) {
          await hooks.activate();
          subscribed.push(await measure(system, servicePids, scenario.service, scenario.requests));
          await hooks.deactivate();
        }
        if (scenario.ceiling) top.push(await measure(system, { ceiling: ceiling.pid! }, ceilingUrl, scenario.ceiling));
      }
      const ceilingRow = top.length ? combine(top) : undefined;
      const rowOf = (name: string, measured: Measured[]): Row => {
        const row: Row = { scenario: name, ...combine(measured) };
        if (ceilingRow) Object.assign(row, { ceilingRps: ceilingRow.rps, ceilingP99: ceilingRow.p99, ratio: row.rps / ceilingRow.rps, ceilingCpuUs: ceilingRow.cpuUs });
        return row;
      };
      const measuredRows = [rowOf(scenario.name, shop), ...(subscribed.length ? [rowOf(`${scenario.name}, 1 webhook subscription`, subscribed)] : [])];
      if (P99_TARGET_MS && !scenario.name.includes('login')) measuredRows[0]!.atTarget = await rateAtTarget(scenario.service, scenario.requests, measuredRows[0]!.rps);
      if (scenario.webhook) webhooks = await hooks.settle();
      // The ceiling's purchases go through the same tables and must balance too.
      if (scenario.name.startsWith('POST /sales')) books = await checkBooks(system, itemIds);
      rows.push(...measuredRows);
      console.log(
        measuredRows
          .map((row) => ` ${row.rps} req/s, p99 ${row.p99} ms${row.ratio ? `, ${(row.ratio * 100).toFixed(0)}% of ceiling` : ''}${row.atTarget !== undefined ? `; at p99 ≤ ${P99_TARGET_MS} ms: ${openLoop(row)}` : ''}`)
          .join(';'),
      );
    }
    report(rows, books, webhooks);
    if (books?.problems.length) process.exitCode = 1;
  } finally {
    hooks?.close();
    ceiling.kill();
    await system.stop();
  }
}

/**
 * One mixed load for SOAK_SECONDS (each connection cycles through the scenarios' requests, the purchase
 * among them), RSS sampled every 5 s. Flat means: after the first minute's warm-up, the fitted slope is
 * about zero and the last minute's mean is no higher than the second minute's.
 */
async function soak(system: TestSystem, scenarios: Array<{ service: string; requests: autocannon.Request[] }>, itemIds: string[]) {
  const services = system.processes.map((p) => p.name);
  const samples: Array<{ t: number; rss: Record<string, number> }> = [];
  const started = Date.now();
  const sample = () => {
    const rss = Object.fromEntries(system.processes.map((p) => [p.name, rssMb(p.child.pid!)]));
    samples.push({ t: (Date.now() - started) / 1000, rss });
  };
  const timer = setInterval(sample, 5000);
  console.log(`soak: ${SOAK_SECONDS} s of mixed load (reads and purchases) at ${CONNECTIONS} connections …`);
  // autocannon sends to one origin: each service gets its share of the connections.
  const results = await Promise.all(
    scenarios.map((scenario) =>
      autocannon({ url: scenario.service, connections: Math.max(1, Math.round(CONNECTIONS / scenarios.length)), duration: SOAK_SECONDS, requests: scenario.requests }),
    ),
  );
  clearInterval(timer);
  sample();
  const books = await checkBooks(system, itemIds);
  const mean = (from: number, to: number, name: string) => {
    const window = samples.filter((s) => s.t >= from && s.t < to).map((s) => s.rss[name]!);
    return Math.round(window.reduce((a, b) => a + b, 0) / Math.max(1, window.length));
  };
  /** Least-squares slope of RSS over time after the first minute, in MB per minute. */
  const slope = (name: string) => {
    const points = samples.filter((s) => s.t >= 60).map((s) => [s.t / 60, s.rss[name]!] as const);
    const n = points.length;
    const mx = points.reduce((a, [x]) => a + x, 0) / n;
    const my = points.reduce((a, [, y]) => a + y, 0) / n;
    const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
    const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    return den ? num / den : 0;
  };
  const end = SOAK_SECONDS + 1;
  const requests = results.reduce((sum, r) => sum + r.requests.total, 0);
  const errors = results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0);
  const lines = [
    `Soak measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${SOAK_SECONDS} s of mixed load (${scenarios.length} request kinds incl. purchases) at ${CONNECTIONS} connections; ${requests} requests, ${errors} errors.`,
    '',
    '| service | RSS MB, minute 2 (mean) | RSS MB, last minute (mean) | peak RSS MB | slope after minute 1 (MB/min) |',
    '|---|---:|---:|---:|---:|',
    ...services.map(
      (name) =>
        `| ${name} | ${mean(60, 120, name)} | ${mean(end - 60, end, name)} | ${Math.max(...samples.map((s) => s.rss[name]!))} | ${slope(name).toFixed(2)} |`,
    ),
    '',
    books.problems.length ? `**Books do not balance:** ${books.problems.join('; ')}` : `Books after the soak: balanced — ${books.completedUnits} units sold, nothing pending.`,
  ];
  const text = lines.join('\n');
  console.log(`\n${text}`);
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'soak.md'), `${text}\n`);
  if (books.problems.length || errors) process.exitCode = 1;
}

const openLoop = (row: Row) => (row.atTarget ? `${row.atTarget.rate} req/s (p99 ${row.atTarget.p99} ms)` : row.atTarget === null ? `none down to ${Math.round(OPEN_LOOP_FRACTIONS.at(-1)! * row.rps)} req/s` : '–');

function report(rows: Row[], books: Awaited<ReturnType<typeof checkBooks>> | undefined, webhooks?: { delivered: number; pending: number; failed: number; received: number }) {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const services = ['customers', 'inventory', 'sales', 'reviews'];
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; ${CONNECTIONS} connections; each scenario ${ROUNDS} rounds of ${DURATION} s, taking turns with its ceiling, after ${WARMUP_SECONDS} s of warm-up; load generator, services and PostgreSQL share the machine.`,
    '',
    `| scenario | req/s | p50 ms | p99 ms | errors | ceiling req/s | ceiling p99 ms | of ceiling | fixed rate at p99 ≤ ${P99_TARGET_MS} ms | peak RSS MB (${services.join(' / ')}) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.ceilingRps ?? '–'} | ${r.ceilingP99 ?? '–'} | ${r.ratio ? `${(r.ratio * 100).toFixed(0)}%` : '–'} | ${openLoop(r)} | ${services.map((s) => r.rssMb[s] ?? '?').join(' / ')} |`,
    ),
    '',
    `CPU time per request in µs, by process (the machine has ${os.availableParallelism()} cores, so 1,000,000 µs of CPU per second per core is all there is):`,
    '',
    `| scenario | ${services.join(' | ')} | postgres | load generator | total | ceiling: node | postgres | load generator | total |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
      const c = r.ceilingCpuUs;
      return `| ${r.scenario} | ${services.map((s) => r.cpuUs[s] ?? '?').join(' | ')} | ${r.cpuUs.postgres} | ${r.cpuUs.loadgen} | ${total(r.cpuUs)} | ${
        c ? `${c.ceiling} | ${c.postgres} | ${c.loadgen} | ${total(c)}` : '– | – | – | –'
      } |`;
    }),
    '',
    books
      ? books.problems.length
        ? `**Books do not balance:** ${books.problems.join('; ')}`
        : `Books after the purchase and refund runs: balanced — ${books.completedUnits} units sold and ${books.refundedUnits} refunded and restocked (the shop's and the ceiling's, same tables), stock, wallets (each equal to its ledger), sales and refunds agree, nothing pending.`
      : '',
    webhooks
      ? `Webhooks: the purchase scenario runs in turns without and with one active subscription to sale.completed (a receiver in the load generator's process answering 204); afterwards ${webhooks.delivered} deliveries delivered, ${webhooks.pending} pending, ${webhooks.failed} failed; the receiver got ${webhooks.received} requests.`
      : '',
  ];
  const text = lines.join('\n');
  console.log(`\n${text}`);
  fs.mkdirSync(RESULTS, { recursive: true });
  if (ONLY) return; // a partial run does not replace the latest full table
  fs.writeFileSync(path.join(RESULTS, 'latest.md'), `${text}\n`);
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify({ machine, connections: CONNECTIONS, durationSeconds: DURATION, rounds: ROUNDS, rows, books }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
