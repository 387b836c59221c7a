// Chaos soak: mixed load (registrations, deposits, one-item and basket purchases with and without Idempotency-Key,
// refunds whole or in part, by owners and by the admin without restocking, reviews) against
// a shop whose extra service instances are killed (SIGKILL) and stopped (SIGTERM) and started again at random,
// then every invariant of the books is checked against the databases. Exits 1 on any violation.
//
//   pnpm chaos                      # 60 s
//   pnpm chaos -- --seconds 300     # longer soak;  CHAOS_SEED=42 for a repeatable schedule
//
// Wiring: the four main instances run as usual; "chaos" instances of each service are started beside them and
// wired to each other (sales* → customers*, inventory*; reviews* → sales*, inventory*). Most load goes to
// the chaos instances, so killing customers* makes sales* lose a dependency mid-purchase (503 allowed) and
// killing sales* abandons purchases half-way (the sweep must finish or undo them). The database is a target
// too (scripts/chaos-database.ts): PostgreSQL stopped and started, and long table locks.
import crypto from 'node:crypto';
import pg from 'pg';
import { freePort, startService, type ServiceName, type ServiceProcess } from '@shop/devkit';
import { fetchJson, startTestSystem } from '@shop/testkit';
import { auditBooks, driftOf } from '../test/support/audit-books';
import { startReceiver, type Receiver } from '../test/support/receiver';
import { databaseChaos } from './chaos-database';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = arg('seconds', Number(process.env.CHAOS_SECONDS ?? 60));
const CONCURRENCY = arg('concurrency', 6);
const ITEMS = 5;
const INITIAL_STOCK = 400;
let seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const SEED = seed;
/** Small seeded PRNG (mulberry32): a failing schedule can be replayed with CHAOS_SEED. */
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...parts: unknown[]) => console.log(`[chaos ${new Date().toISOString().slice(11, 23)}]`, ...parts);

// ---------------------------------------------------------------------------------------------------------
// What the load saw

const statusCounts = new Map<string, number>();
const violations: string[] = [];
const count = (key: string) => statusCounts.set(key, (statusCounts.get(key) ?? 0) + 1);

interface Answer {
  status: number; // 0: no answer (connection refused/reset, timeout)
  body: any;
  headers: Headers | undefined;
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const what = `${method} ${path.replace(/\/[0-9a-f-]{36}/g, '/:id').replace(/\/customers\/[^/]+/, '/customers/:username')}`;
  const { status, body, text, headers } = await fetchJson(base, method, path, { ...options, timeoutMs: 15_000 });
  count(status ? `${what} ${status}` : `${what} unreachable`);
  if (status >= 500 && status !== 503) violations.push(`${what} answered ${status}: ${text.slice(0, 300)}`);
  return { status, body, headers };
}

/** Answers counted by status over every route ("unreachable": no answer at all). */
function byStatus(all: Array<[string, number]>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, n] of all) {
    const status = key.slice(key.lastIndexOf(' ') + 1);
    counts[status] = (counts[status] ?? 0) + n;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------------------

interface Customer {
  id: string;
  username: string;
  token: string;
}

async function main() {
  log(`starting the shop (seed ${SEED}, ${SECONDS} s, ${CONCURRENCY} clients)…`);
  // Short timeouts and sweep so that abandoned purchases are settled within seconds of the end of the load
  // (SWEEP_AGE_MS must exceed the longest live purchase: 4 calls × 2 attempts × (1.5 s + 0.5 s backoff) + 1 s).
  // Its own PostgreSQL (even with TEST_DATABASE_URL set), which the database chaos stops and starts.
  const system = await startTestSystem({
    ownPostgres: true,
    databaseLimits: 'default',
    env: {
      LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'silent',
      SERVICE_TIMEOUT_MS: '1500',
      SERVICE_RETRY_ATTEMPTS: '2',
      SWEEP_AGE_MS: '20000',
      SWEEP_INTERVAL_MS: '1000',
    },
    stdio: process.env.CHAOS_LOG_LEVEL ? 'inherit' : 'ignore',
  });
  const { urls, env, databaseUrls } = system.context;
  const chaos = {} as Record<ServiceName, { url: string; port: number; env: Record<string, string>; proc?: ServiceProcess }>;
  const pools: pg.Pool[] = [];
  const db = (service: ServiceName) => {
    const pool = new pg.Pool({ connectionString: databaseUrls[service], max: 2 });
    pools.push(pool);
    return pool;
  };
  let exitCode = 1;
  try {
    for (const name of ['customers', 'inventory', 'sales', 'reviews'] as const) {
      const port = await freePort();
      chaos[name] = { url: `http://127.0.0.1:${port}`, port, env: { ...env[name], PORT: String(port) } };
    }
    Object.assign(chaos.sales.env, { CUSTOMERS_URL: chaos.customers.url, INVENTORY_URL: chaos.inventory.url });
    Object.assign(chaos.reviews.env, { SALES_URL: chaos.sales.url, INVENTORY_URL: chaos.inventory.url });
    const start = async (name: ServiceName) => {
      // A generous ready timeout: on a busy 2-core machine a cold start takes tens of seconds. A service that
      // starts while PostgreSQL is down may exit (customers creates its admin at start): try again.
      for (let attempt = 1; ; attempt++) {
        try {
          chaos[name].proc = await startService(name, chaos[name].env, { stdio: process.env.CHAOS_LOG_LEVEL ? 'inherit' : 'ignore', readyTimeoutMs: 120_000 });
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
          await sleep(1000);
        }
      }
    };
    // allSettled: when one fails to start, the others must still be known (and stopped) before we give up.
    const started = await Promise.allSettled((['customers', 'inventory', 'sales', 'reviews'] as const).map(start));
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    /** Mostly the chaos instance, sometimes the steady one. */
    const base = (name: ServiceName) => (random() < 0.75 ? chaos[name].url : urls[name]);

    // Fixtures through the steady instances.
    const adminLogin = await call(urls.customers, 'POST', '/auth/login', { body: system.context.admin });
    const adminToken = adminLogin.body.accessToken as string;
    const items: Array<{ id: string; priceCents: number }> = [];
    for (let i = 0; i < ITEMS; i++) {
      const priceCents = 100 + Math.floor(random() * 1900);
      const res = await call(urls.inventory, 'POST', '/items', {
        token: adminToken,
        body: { name: `chaos-${SEED}-${i}`, category: 'food', priceCents, stockCount: INITIAL_STOCK },
      });
      if (res.status !== 201) throw new Error(`item creation failed: ${res.status}`);
      items.push({ id: res.body.id, priceCents });
    }
    // A webhook receiver subscribed to every event of every service: the books count the events too.
    const hooks = {} as Record<ServiceName, { receiver: Receiver; subscriptionId: string }>;
    for (const name of ['customers', 'inventory', 'sales', 'reviews'] as const) {
      const receiver = await startReceiver();
      const res = await call(urls[name], 'POST', '/webhooks', { token: adminToken, body: { url: receiver.url, events: ['*'] } });
      if (res.status !== 201) throw new Error(`webhook subscription failed: ${res.status}`);
      receiver.secret = res.body.secret;
      hooks[name] = { receiver, subscriptionId: res.body.id };
    }
    const customers: Customer[] = [];
    const confirmedDeposits = new Map<string, number>();
    const uncertainDeposits = new Map<string, number>();
    const add = (map: Map<string, number>, id: string, cents: number) => map.set(id, (map.get(id) ?? 0) + cents);
    const replays = { checked: 0 };
    const bought: Array<{ customer: Customer; sale: { id: string; lines: Array<{ itemId: string; quantity: number }> } }> = [];
    const refundAnswers = new Map<number, number>();

    const register = async (host: string) => {
      const username = `ch${crypto.randomBytes(5).toString('hex')}`;
      const body = {
        username,
        password: 'chaos-soak-walnut-ladder',
        firstName: 'Chaos',
        lastName: 'Monkey',
        age: 40,
        address: 'Nowhere',
        gender: 'other',
        maritalStatus: 'single',
      };
      const created = await call(host, 'POST', '/customers', { body });
      if (created.status !== 201) return;
      const login = await call(urls.customers, 'POST', '/auth/login', { body: { username, password: body.password } });
      if (login.status === 200) customers.push({ id: created.body.id, username, token: login.body.accessToken });
    };
    const deposit = async (c: Customer, host: string) => {
      const amountCents = 500 + Math.floor(random() * 20_000);
      const res = await call(host, 'POST', `/customers/${c.username}/wallet/deposits`, { token: c.token, body: { amountCents } });
      if (res.status === 201) add(confirmedDeposits, c.id, amountCents);
      else if (res.status === 0 || res.status >= 500) add(uncertainDeposits, c.id, amountCents);
    };
    for (let i = 0; i < 8; i++) await register(urls.customers);
    for (const c of customers) await deposit(c, urls.customers);

    const purchase = async (c: Customer, withKey: boolean) => {
      // Half are v1 one-item purchases, half baskets of 2–3 distinct items (sharing items in any order).
      const basket = [...items].sort(() => random() - 0.5).slice(0, 2 + Math.floor(random() * 2));
      const body =
        random() < 0.5
          ? { itemId: pick(items).id, quantity: 1 + Math.floor(random() * 3) }
          : { lines: basket.map((item) => ({ itemId: item.id, quantity: 1 + Math.floor(random() * 2) })) };
      const headers: Record<string, string> = withKey ? { 'idempotency-key': `k-${crypto.randomUUID()}` } : {};
      const first = await call(base('sales'), 'POST', '/sales', { token: c.token, body, headers });
      if (first.status === 201) bought.push({ customer: c, sale: first.body });
      if (!withKey || random() < 0.4) return;
      // A client retry with the same key and body (as after a lost answer): once the first completed, the
      // replay must be the same sale, marked as replayed; nothing more may be charged.
      const again = await call(base('sales'), 'POST', '/sales', { token: c.token, body, headers });
      if (first.status === 201 && again.status === 201) {
        replays.checked++;
        if (again.body.id !== first.body.id) violations.push(`idempotent replay answered another sale: ${first.body.id} then ${again.body.id}`);
        if (again.headers?.get('idempotent-replayed') !== 'true') violations.push(`replay of sale ${first.body.id} lacks Idempotent-Replayed: true`);
      }
    };
    // Refunds of sales the load bought: all that is left, or one unit of a line; some by the admin without
    // restocking; some with a key, replayed. 409 (nothing or not enough left) and 503 (finished later) are fine.
    const refund = async () => {
      const pickSale = bought.length ? pick(bought) : undefined;
      if (!pickSale) return;
      const { customer, sale } = pickSale;
      const line = pick(sale.lines);
      const byAdmin = random() < 0.15;
      const body = {
        ...(random() < 0.5 && { lines: [{ itemId: line.itemId, quantity: 1 }] }),
        ...(byAdmin && random() < 0.5 && { restock: false }),
      };
      const headers: Record<string, string> = random() < 0.5 ? { 'idempotency-key': `r-${crypto.randomUUID()}` } : {};
      const token = byAdmin ? adminToken : customer.token;
      const first = await call(base('sales'), 'POST', `/sales/${sale.id}/refunds`, { token, body, headers });
      refundAnswers.set(first.status, (refundAnswers.get(first.status) ?? 0) + 1);
      if (!headers['idempotency-key'] || first.status !== 201) return;
      const again = await call(base('sales'), 'POST', `/sales/${sale.id}/refunds`, { token, body, headers });
      if (again.status === 201 && again.body.id !== first.body.id)
        violations.push(`idempotent refund replay answered another refund: ${first.body.id} then ${again.body.id}`);
    };
    const review = async (c: Customer) => {
      await call(base('reviews'), 'POST', '/reviews', {
        token: c.token,
        body: { itemId: pick(items).id, rating: 1 + Math.floor(random() * 5), comment: 'chaos' },
      });
    };

    const deadline = Date.now() + SECONDS * 1000;
    const kills: string[] = [];
    const worker = async () => {
      while (Date.now() < deadline) {
        const r = random();
        const c = pick(customers);
        if (r < 0.1) await register(base('customers'));
        else if (r < 0.3) await deposit(c, base('customers'));
        else if (r < 0.5) await purchase(c, true);
        else if (r < 0.75) await purchase(c, false);
        else if (r < 0.87) await refund();
        else await review(c);
      }
    };
    // Every 1–3 s an instance that is up dies (SIGKILL) or is stopped (SIGTERM); it comes back 0.3–2 s later,
    // in the background (a restart takes seconds on a busy machine), so several may be down at once.
    const down = new Set<ServiceName>();
    const restarts: Promise<void>[] = [];
    const monkey = async () => {
      while (Date.now() < deadline - 2000) {
        await sleep(1000 + random() * 2000);
        const candidates = (['customers', 'inventory', 'sales', 'reviews'] as ServiceName[]).filter((name) => !down.has(name));
        if (!candidates.length) continue;
        const name = pick(candidates);
        const how = random() < 0.6 ? 'kill' : 'stop';
        down.add(name);
        await chaos[name].proc![how]();
        kills.push(`${how} ${name}`);
        log(`${how === 'kill' ? 'SIGKILL' : 'SIGTERM'} ${name}*`);
        const pause = 300 + random() * 1700;
        restarts.push(
          sleep(pause)
            .then(() => start(name))
            .then(() => {
              down.delete(name);
              log(`restarted ${name}*`);
            }),
        );
      }
    };
    const database = databaseChaos({ postgres: system.postgres!, databaseUrls, deadline, random, log });
    log(`load for ${SECONDS} s…`);
    await Promise.all([...Array.from({ length: CONCURRENCY }, worker), monkey(), database.run()]);
    await Promise.all(restarts);
    log(`load done; ${kills.length} kills/stops. Waiting for the sweep to settle pending purchases…`);

    // ---- the books
    const customersDb = db('customers');
    const salesDb = db('sales');
    const inventoryDb = db('inventory');
    const sweepDeadline = Date.now() + 90_000;
    let pending = 0;
    for (;;) {
      pending = (
        await salesDb.query(`SELECT (SELECT count(*) FROM sales WHERE status = 'PENDING') + (SELECT count(*) FROM refunds WHERE status = 'PENDING') AS n`)
      ).rows[0].n;
      pending = Number(pending);
      if (!pending || Date.now() > sweepDeadline) break;
      await sleep(1000);
    }
    if (pending) violations.push(`${pending} sales or refunds still pending 90 s after the load`);

    const wallets = await customersDb.query(
      `SELECT c.id, c.username, c.balance_cents::bigint AS balance, coalesce(sum(l.amount_cents), 0)::bigint AS ledger,
              coalesce(sum(l.amount_cents) FILTER (WHERE l.type = 'deposit'), 0)::bigint AS deposits,
              coalesce(sum(l.amount_cents) FILTER (WHERE l.type = 'purchase'), 0)::bigint AS purchases,
              coalesce(sum(l.amount_cents) FILTER (WHERE l.type = 'refund'), 0)::bigint AS refunds,
              count(*) FILTER (WHERE l.type NOT IN ('deposit', 'purchase', 'refund'))::int AS others
         FROM customers c LEFT JOIN ledger_entries l ON l.customer_id = c.id
        WHERE c.username LIKE 'ch%' GROUP BY c.id`,
    );
    for (const w of wallets.rows) {
      if (w.balance !== w.ledger) violations.push(`wallet of ${w.username}: balance ${w.balance} ≠ ledger ${w.ledger}`);
      if (BigInt(w.deposits) + BigInt(w.purchases) + BigInt(w.refunds) !== BigInt(w.balance))
        violations.push(`wallet of ${w.username}: deposits − purchases + refunds ≠ balance`);
      if (w.others) violations.push(`wallet of ${w.username}: ${w.others} ledger entries of unknown type`);
      const sure = confirmedDeposits.get(w.id) ?? 0;
      const maybe = uncertainDeposits.get(w.id) ?? 0;
      if (Number(w.deposits) < sure || Number(w.deposits) > sure + maybe)
        violations.push(`wallet of ${w.username}: ledger deposits ${w.deposits}, confirmed ${sure} (+${maybe} unknown outcome)`);
    }

    // Purchases in the ledger against sales: a completed sale is charged its total exactly once; a failed one nets 0
    // (entries referenced by the sale id: the debit and its undo). Refunds are credited by the refund id: each
    // completed refund exactly once, its amount, to the sale's customer.
    const charges = await customersDb.query(
      `SELECT reference, customer_id, sum(amount_cents)::bigint AS net, count(*) FILTER (WHERE type = 'purchase')::int AS debits,
              count(*) FILTER (WHERE type = 'refund')::int AS credits
         FROM ledger_entries WHERE type IN ('purchase', 'refund') GROUP BY reference, customer_id`,
    );
    const sales = await salesDb.query(`SELECT id, customer_id, total_cents::bigint AS total, refunded_cents::bigint AS refunded, status FROM sales`);
    const refunds = await salesDb.query(
      `SELECT r.id, r.sale_id, r.customer_id, r.amount_cents::bigint AS amount, r.restock, r.status,
              (SELECT coalesce(sum(l.amount_cents), 0) FROM refund_lines l WHERE l.refund_id = r.id)::bigint AS lines_amount
         FROM refunds r`,
    );
    const soldLines = await salesDb.query(
      `SELECT l.item_id, sum(l.quantity)::int AS units, sum(l.refunded_quantity)::int AS refunded,
              sum((SELECT coalesce(sum(rl.quantity), 0) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
                   WHERE r.sale_id = l.sale_id AND rl.item_id = l.item_id AND r.status = 'COMPLETED'))::int AS refunded_by_refunds,
              sum((SELECT coalesce(sum(rl.quantity), 0) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
                   WHERE r.sale_id = l.sale_id AND rl.item_id = l.item_id AND r.status = 'COMPLETED' AND r.restock))::int AS restocked
         FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE s.status = 'COMPLETED' GROUP BY l.item_id`,
    );
    const soldByItem = new Map(soldLines.rows.map((row) => [row.item_id as string, row]));
    const saleById = new Map(sales.rows.map((s) => [s.id as string, s]));
    const refundById = new Map(refunds.rows.map((r) => [r.id as string, r]));
    const chargeByRef = new Map(charges.rows.map((c) => [c.reference as string, c]));
    for (const c of charges.rows) {
      const sale = saleById.get(c.reference);
      const refund = refundById.get(c.reference);
      if (refund) {
        if (refund.customer_id !== c.customer_id) violations.push(`refund ${refund.id} credited to another customer`);
        if (c.credits !== 1 || c.debits !== 0) violations.push(`refund ${refund.id}: ${c.credits} credits, ${c.debits} debits`);
        if (BigInt(c.net) !== BigInt(refund.amount)) violations.push(`refund ${refund.id}: credited ${c.net}, amount ${refund.amount}`);
      } else if (!sale) violations.push(`ledger reference ${c.reference} is no sale and no refund`);
      else if (sale.customer_id !== c.customer_id) violations.push(`sale ${sale.id} charged to another customer`);
      if (c.debits > 1) violations.push(`sale ${c.reference} debited ${c.debits} times`);
    }
    for (const s of sales.rows) {
      const net = BigInt(chargeByRef.get(s.id)?.net ?? 0);
      if (s.status === 'COMPLETED' && net !== -BigInt(s.total)) violations.push(`completed sale ${s.id}: ledger nets ${net}, total ${s.total}`);
      if (s.status === 'FAILED' && net !== 0n) violations.push(`failed sale ${s.id}: ledger nets ${net}, expected 0`);
      if (BigInt(s.refunded) > BigInt(s.total ?? 0)) violations.push(`sale ${s.id}: refunded ${s.refunded} of ${s.total}`);
    }
    const refundedBySale = new Map<string, bigint>();
    for (const r of refunds.rows) {
      if (r.status !== 'COMPLETED') continue;
      refundedBySale.set(r.sale_id, (refundedBySale.get(r.sale_id) ?? 0n) + BigInt(r.amount));
      if (BigInt(r.amount) !== BigInt(r.lines_amount)) violations.push(`refund ${r.id}: amount ${r.amount} ≠ its lines ${r.lines_amount}`);
      if (!chargeByRef.has(r.id)) violations.push(`completed refund ${r.id} was never credited`);
      if (saleById.get(r.sale_id)?.status !== 'COMPLETED') violations.push(`refund ${r.id} of a sale that did not complete`);
    }
    for (const s of sales.rows) {
      if (BigInt(s.refunded) !== (refundedBySale.get(s.id) ?? 0n))
        violations.push(`sale ${s.id}: refundedCents ${s.refunded} ≠ its completed refunds ${refundedBySale.get(s.id) ?? 0n}`);
    }
    for (const row of soldLines.rows) {
      if (row.refunded !== row.refunded_by_refunds)
        violations.push(`item ${row.item_id}: lines say ${row.refunded} refunded, refunds say ${row.refunded_by_refunds}`);
    }

    const stock = await inventoryDb.query(
      `SELECT i.id, i.stock_count, (SELECT coalesce(sum(m.delta), 0)::int FROM stock_movements m WHERE m.item_id = i.id) AS movements
         FROM items i WHERE i.id = ANY($1::uuid[])`,
      [items.map((i) => i.id)],
    );
    for (const row of stock.rows) {
      const sold = soldByItem.get(row.id)?.units ?? 0;
      const restocked = soldByItem.get(row.id)?.restocked ?? 0;
      const expected = INITIAL_STOCK - sold + restocked;
      if (row.stock_count !== expected)
        violations.push(`item ${row.id}: stock ${row.stock_count}, expected ${INITIAL_STOCK} − ${sold} sold + ${restocked} restocked`);
      if (row.stock_count !== row.movements) violations.push(`item ${row.id}: stock ${row.stock_count} ≠ sum of its movements ${row.movements}`);
    }

    // Events: every completed sale has exactly one sale.completed (and nothing else has one); every event of
    // every service has a delivered or pending delivery to the subscription, and each delivered one reached
    // the receiver with a valid signature. Deliveries are waited for (bounded): a killed instance's lease
    // runs out first.
    const completedIds = new Set(sales.rows.filter((s) => s.status === 'COMPLETED').map((s) => s.id as string));
    const announced = await salesDb.query(`SELECT data->>'id' AS sale, count(*)::int AS n FROM outbox_events WHERE type = 'sale.completed' GROUP BY 1`);
    const announcedBySale = new Map(announced.rows.map((r) => [r.sale as string, r.n as number]));
    for (const id of completedIds)
      if (announcedBySale.get(id) !== 1) violations.push(`completed sale ${id}: ${announcedBySale.get(id) ?? 0} sale.completed events`);
    for (const [id] of announcedBySale) if (!completedIds.has(id)) violations.push(`sale.completed for sale ${id}, which did not complete`);
    const events: Record<string, string> = {};
    for (const name of ['customers', 'inventory', 'sales', 'reviews'] as const) {
      const serviceDb = name === 'sales' ? salesDb : name === 'inventory' ? inventoryDb : name === 'customers' ? customersDb : db('reviews');
      const { receiver, subscriptionId } = hooks[name];
      const unsettled = () =>
        serviceDb.query(
          `SELECT e.id, d.status FROM outbox_events e
             LEFT JOIN webhook_deliveries d ON d.event_id = e.id AND d.subscription_id = $1
           WHERE e.created_at >= (SELECT created_at FROM webhook_subscriptions WHERE id = $1) AND (d.status IS DISTINCT FROM 'delivered')`,
          [subscriptionId],
        );
      const deliveryDeadline = Date.now() + 120_000;
      let left = (await unsettled()).rows;
      while (left.length && Date.now() < deliveryDeadline) {
        await sleep(1000);
        left = (await unsettled()).rows;
      }
      for (const row of left) violations.push(`${name} event ${row.id}: delivery ${row.status ?? 'missing'} 120 s after the load`);
      const delivered = (await serviceDb.query(`SELECT event_id FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'delivered'`, [subscriptionId]))
        .rows;
      const received = new Map<string, number>();
      for (const r of receiver.received) {
        if (!r.verified) violations.push(`${name} event ${r.id}: a delivery with a bad signature`);
        received.set(r.id, (received.get(r.id) ?? 0) + 1);
      }
      for (const row of delivered) if (!received.has(row.event_id)) violations.push(`${name} event ${row.event_id}: delivered, but the receiver never got it`);
      const repeats = [...received.values()].filter((n) => n > 1).length;
      events[name] = `${delivered.length} delivered${repeats ? ` (${repeats} more than once)` : ''}`;
      await receiver.close();
    }

    // The books audit operators run (`pnpm audit:books`: sales' own code, through the internal APIs, in a process
    // of its own with sales' environment) must agree with the checks above: zero drift. Pending is in flight, not drift.
    const audit = await auditBooks(system);
    const drift = audit.report ? driftOf(audit.report) : {};
    const auditLine = audit.report
      ? `books audit: ${Object.keys(drift).length ? `drift ${JSON.stringify(drift)}` : 'zero drift'} (exit ${audit.code}; read ${JSON.stringify(audit.report.counted)}; in flight ${JSON.stringify(audit.report.pending)})`
      : `books audit: could not run (exit ${audit.code}): ${audit.stderr.slice(0, 300)}`;
    if (audit.code !== 0 || Object.keys(drift).length) violations.push(`${auditLine} ${JSON.stringify(audit.report?.discrepancies.slice(0, 10) ?? [])}`);

    const completed = sales.rows.filter((s) => s.status === 'COMPLETED').length;
    const failed = sales.rows.filter((s) => s.status === 'FAILED').length;
    const all = [...statusCounts.entries()].sort();
    const total = all.reduce((sum, [, n]) => sum + n, 0);
    const by = (suffix: string) => all.filter(([k]) => k.endsWith(` ${suffix}`)).reduce((sum, [, n]) => sum + n, 0);
    console.log(
      [
        `requests: ${total} (503: ${by('503')}, unreachable: ${by('unreachable')}, 500: ${by('500')})`,
        `customers: ${customers.length}, sales: ${completed} completed / ${failed} failed, idempotent replays checked: ${replays.checked}`,
        `refunds: ${refunds.rows.length} recorded (${refunds.rows.filter((r) => !r.restock).length} without restock), ${sales.rows.filter((s) => s.status === 'COMPLETED' && BigInt(s.refunded) > 0n).length} sales refunded in part or whole; answers ${JSON.stringify(Object.fromEntries(refundAnswers))}`,
        `chaos: ${kills.length} kills/stops (${kills.join(', ')})`,
        `webhook events: ${JSON.stringify(events)}; sale.completed: ${announced.rows.length} for ${completedIds.size} completed sales`,
        `database chaos: ${database.events.length ? database.events.join(', ') : 'none (the run was too short)'}`,
        auditLine,
        `answers by status: ${JSON.stringify(byStatus(all))}`,
        `answers:\n  ${all.map(([k, n]) => `${k}: ${n}`).join('\n  ')}`,
      ].join('\n'),
    );
    if (violations.length) {
      console.log(`\nVIOLATIONS (${violations.length}):\n  ${[...new Set(violations)].slice(0, 50).join('\n  ')}`);
      console.log(`replay with CHAOS_SEED=${SEED}`);
    } else {
      console.log(
        '\nall invariants hold: wallets = ledgers = deposits − purchases + refunds, purchases = completed sales, each completed refund credited once (its amount), refundedCents = completed refunds, stock = initial − sold + restocked = sum of movements, nothing pending, no 500, one sale.completed per completed sale, every event delivered, the books audit finds zero drift',
      );
      exitCode = 0;
    }
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await Promise.all(Object.values(chaos).flatMap((c) => (c.proc ? [c.proc.stop()] : [])));
    await system.stop();
  }
  process.exit(exitCode);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
