// Real database faults on a PostgreSQL of this file's own (never the run's shared one): a fast shutdown under
// purchase load and a restart, ACCESS EXCLUSIVE locks on items and on the wallet, an exhausted pool. Every
// answer is 201, a definite 4xx or a quick 503 with Retry-After, never a 500; /ready tells the truth; the
// books balance afterwards. Each test prints its counts (answers by status, times to recovery).
import crypto from 'node:crypto';
import { freePort, startService, type ServiceProcess } from '@shop/devkit';
import type pg from 'pg';
import { countByStatus, startOwnShop, type Answer, type OwnShop } from './support/own-shop';

// Short saga timeouts and a quick sweep, so that what a fault leaves pending is settled within seconds.
// (SWEEP_AGE_MS must exceed sales' longest purchase: 4 × (2 × 1000 + 500) + 1000 = 11 s.)
const ENV = { SERVICE_TIMEOUT_MS: '1000', SERVICE_RETRY_ATTEMPTS: '2', SWEEP_AGE_MS: '12000', SWEEP_INTERVAL_MS: '500' };
/**
 * The documented limits (docs/operations.md) with the defaults: a read waits at most the acquire timeout
 * (1 s) plus one statement (2 s); a purchase at most sales' longest purchase (here 11 s) plus its own
 * statements. SLACK_MS is for this shared 2-core machine, where a process may wait for a core.
 */
const READ_LIMIT_MS = 1_000 + 2_000;
const PURCHASE_LIMIT_MS = 11_000 + 2 * READ_LIMIT_MS;
const SLACK_MS = 1_500;

let shop: OwnShop;
/**
 * Kept as a promise: when beforeAll times out (a slow start on a loaded machine) the start goes on, and its
 * processes (PostgreSQL, four services) would keep jest from ever exiting. afterAll waits for it and stops it.
 */
let starting: Promise<OwnShop> | undefined;
beforeAll(async () => {
  shop = await (starting = startOwnShop(ENV));
}, 120_000);
afterEach(async () => {
  await shop?.system.postgres!.start(); // a test that failed half-way must not leave the next one without a database
});
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.stop();
}, 180_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const readyOf = (service: 'customers' | 'inventory' | 'sales' | 'reviews') => shop.call(shop.url(service), 'GET', '/ready');
const SERVICES = ['customers', 'inventory', 'sales', 'reviews'] as const;
/** 201, a definite refusal, or 503 with Retry-After: what the contract allows while the database falters. */
const expectHonest = (answers: Answer[]) => {
  const bad = answers.filter((a) => !(a.status === 201 || a.status === 200 || (a.status >= 400 && a.status < 500) || a.status === 503));
  expect(bad.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
  expect(answers.filter((a) => a.status === 503 && !a.retryAfter).length).toBe(0);
};

/** One keyed purchase of one unit by each buyer, all at once. */
const buyOnceEach = (buyers: Array<{ token: string }>, item: { id: string }) =>
  Promise.all(
    buyers.map((b) =>
      shop.call(shop.url('sales'), 'POST', '/sales', {
        token: b.token,
        body: { itemId: item.id, quantity: 1 },
        headers: { 'idempotency-key': crypto.randomUUID() },
      }),
    ),
  );

/** Buyers that each buy one unit per intent with an Idempotency-Key, retrying an intent until it is definite. */
function purchaseLoad(item: { id: string }, buyers: Array<{ token: string }>) {
  const answers: Answer[] = [];
  const saleOfKey = new Map<string, string>();
  const replayMismatches: string[] = [];
  let stopping = false;
  const buyer = async (customer: { token: string }) => {
    while (!stopping) {
      const key = `dbf-${crypto.randomUUID()}`;
      for (;;) {
        const answer = await shop.call(shop.url('sales'), 'POST', '/sales', {
          token: customer.token,
          body: { itemId: item.id, quantity: 1 },
          headers: { 'idempotency-key': key },
        });
        answers.push(answer);
        if (answer.status === 201) {
          if (saleOfKey.has(key) && saleOfKey.get(key) !== answer.body.id) replayMismatches.push(key);
          saleOfKey.set(key, answer.body.id);
          break;
        }
        // A definite refusal ends the intent; 409 (the key is still in flight) and 503 are retried, as a client would,
        // until the load is stopped: a test that fails with the database down (or the shop gone, status 0) must end
        // its load, not retry for ever and keep jest from exiting.
        if ((answer.status >= 400 && answer.status < 500 && answer.status !== 409) || stopping) break;
        await sleep(250);
      }
    }
  };
  const running = Promise.all(buyers.map(buyer));
  return {
    answers,
    saleOfKey,
    replayMismatches,
    completed: () => answers.filter((a) => a.status === 201).length,
    async stop() {
      stopping = true;
      await running;
    },
  };
}

describe('when PostgreSQL stops under purchase load and starts again', () => {
  it('answers 201, a definite 4xx or 503 (never 500), /ready follows the database, and the books balance', async () => {
    const item = await shop.newItem(100_000, 100);
    const buyers = await Promise.all(Array.from({ length: 6 }, () => shop.newCustomer(10_000_000)));
    const load = purchaseLoad(item, buyers);
    try {
      await shop.until(() => Promise.resolve(load.completed() >= 30), '30 purchases before the fault');

      // Fast shutdown (SIGINT) while purchases are in flight.
      const beforeStop = load.answers.length;
      await shop.system.postgres!.stop();
      const down = SERVICES.map(async (service) => ({ service, ready: (await readyOf(service)).status }));
      expect(await Promise.all(down)).toEqual(SERVICES.map((service) => ({ service, ready: 503 })));
      // Reads on every service answer 503 with Retry-After, quickly.
      const buyer = buyers[0]!;
      const reads = await Promise.all([
        shop.call(shop.url('inventory'), 'GET', `/items/${item.id}`),
        shop.call(shop.url('customers'), 'GET', `/customers/${buyer.username}/wallet/transactions`, { token: buyer.token }),
        shop.call(shop.url('sales'), 'GET', '/sales', { token: buyer.token }),
        shop.call(shop.url('reviews'), 'GET', `/items/${item.id}/reviews`),
      ]);
      expect(reads.map((r) => [r.status, r.body?.code, Number(r.retryAfter) > 0])).toEqual(reads.map(() => [503, 'service_unavailable', true]));
      // Every buyer meets the outage a few times before the database comes back.
      await shop.until(() => Promise.resolve(load.answers.length - beforeStop >= 3 * buyers.length), 'answers while the database is down');
      const whileDown = load.answers.slice(beforeStop);

      const restarted = performance.now();
      await shop.system.postgres!.start();
      const readyAfterMs = Object.fromEntries(
        await Promise.all(
          SERVICES.map(async (service) => [service, Math.round(await shop.until(async () => (await readyOf(service)).status === 200, `${service} ready`))]),
        ),
      );
      const completedAtStart = load.completed();
      await shop.until(() => Promise.resolve(load.completed() > completedAtStart), 'a purchase after the restart');
      const firstPurchaseAfterMs = Math.round(performance.now() - restarted);
      await shop.until(() => Promise.resolve(load.completed() >= completedAtStart + 30), '30 purchases after the restart');
      await load.stop();

      // The sweep settles what the outage left pending (sales whose undo could not reach the database).
      const settledAfterMs = Math.round(
        await shop.until(
          async () =>
            (await shop.query('sales', `SELECT 1 FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE s.status = 'PENDING' AND l.item_id = $1`, [item.id]))
              .length === 0,
          'no pending sale',
        ),
      );
      console.log(
        `database stop/start: answers ${JSON.stringify(countByStatus(load.answers))} (while down: ${JSON.stringify(countByStatus(whileDown))}); ` +
          `after the start: /ready 200 in ${JSON.stringify(readyAfterMs)} ms, first purchase in ${firstPurchaseAfterMs} ms; nothing pending ${settledAfterMs} ms after the load`,
      );
      expectHonest(load.answers);
      expect(whileDown.some((a) => a.status === 503)).toBe(true);
      expect(
        await shop.books(
          [item],
          buyers.map((b) => b.id),
        ),
      ).toEqual([]);
      // Nothing charged twice: the completed sales are exactly those the buyers were answered 201 for, one per key.
      const completedIds = (
        await shop.query<{ id: string }>(
          'sales',
          `SELECT s.id FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE s.status = 'COMPLETED' AND l.item_id = $1`,
          [item.id],
        )
      ).map((r) => r.id);
      expect(load.replayMismatches).toEqual([]);
      expect(completedIds.sort()).toEqual([...load.saleOfKey.values()].sort());
      expect(shop.system.processes.map((p) => [p.name, p.child.exitCode])).toEqual(SERVICES.map((name) => [name, null]));
    } finally {
      // Also when an assertion failed: the load's loops would otherwise keep the worker alive (jest never exits).
      await load.stop();
    }
  }, 240_000);
});

describe('a long ACCESS EXCLUSIVE lock', () => {
  /** Holds the lock in an open transaction until `release` (as a careless migration or VACUUM FULL would). */
  async function lock(service: 'inventory' | 'customers', tables: string): Promise<{ release(): Promise<void> }> {
    const client: pg.Client = await shop.connect(service);
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${tables} IN ACCESS EXCLUSIVE MODE`);
    return {
      async release() {
        await client.query('ROLLBACK');
      },
    };
  }

  it('on items: reads and purchases answer 503 within the limit while it is held, and succeed once it is released', async () => {
    const item = await shop.newItem(1_000, 100);
    const buyers = await Promise.all(Array.from({ length: 4 }, () => shop.newCustomer(100_000)));
    expect((await readyOf('inventory')).status).toBe(200);
    const held = await lock('inventory', 'items');
    // Answered while the lock is still held: nothing waits for it to end.
    const [reads, purchases, ready] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => shop.call(shop.url('inventory'), 'GET', `/items/${item.id}`))),
      buyOnceEach(buyers, item),
      readyOf('inventory'),
    ]);
    await held.release();
    const after = await Promise.all([
      shop.call(shop.url('inventory'), 'GET', `/items/${item.id}`),
      ...buyers.map((b) => shop.call(shop.url('sales'), 'POST', '/sales', { token: b.token, body: { itemId: item.id, quantity: 1 } })),
    ]);
    await shop.until(
      async () =>
        (await shop.query('sales', `SELECT 1 FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE s.status = 'PENDING' AND l.item_id = $1`, [item.id]))
          .length === 0,
      'no pending sale',
    );
    console.log(
      `lock on items: reads ${JSON.stringify(countByStatus(reads))} in ≤ ${Math.round(Math.max(...reads.map((r) => r.ms)))} ms, ` +
        `purchases ${JSON.stringify(countByStatus(purchases))} in ≤ ${Math.round(Math.max(...purchases.map((r) => r.ms)))} ms, /ready ${ready.status} in ${Math.round(ready.ms)} ms; ` +
        `after release: ${JSON.stringify(countByStatus(after))}`,
    );
    expect(reads.map((r) => [r.status, r.body.code, r.retryAfter])).toEqual(reads.map(() => [503, 'service_unavailable', '1']));
    expect(purchases.map((r) => r.status)).toEqual(purchases.map(() => 503));
    expect(Math.max(...reads.map((r) => r.ms))).toBeLessThan(READ_LIMIT_MS + SLACK_MS);
    expect(Math.max(...purchases.map((r) => r.ms))).toBeLessThan(PURCHASE_LIMIT_MS + SLACK_MS);
    // The database itself answers: /ready stays 200 (every replica shares the lock; taking them all out of rotation would not help).
    expect(ready.status).toBe(200);
    expect(after.map((r) => r.status)).toEqual([200, ...buyers.map(() => 201)]);
    expect(
      await shop.books(
        [item],
        buyers.map((b) => b.id),
      ),
    ).toEqual([]);
  }, 120_000);

  it('on the wallet: purchases, deposits and ledger reads answer 503 while it is held, and succeed once it is released', async () => {
    const item = await shop.newItem(1_000, 100);
    const buyers = await Promise.all(Array.from({ length: 4 }, () => shop.newCustomer(100_000)));
    expect((await readyOf('customers')).status).toBe(200);
    const held = await lock('customers', 'customers, ledger_entries');
    const [purchases, deposits, reads, ready] = await Promise.all([
      buyOnceEach(buyers, item),
      Promise.all(
        buyers.map((b) => shop.call(shop.url('customers'), 'POST', `/customers/${b.username}/wallet/deposits`, { token: b.token, body: { amountCents: 500 } })),
      ),
      Promise.all(buyers.map((b) => shop.call(shop.url('customers'), 'GET', `/customers/${b.username}/wallet/transactions`, { token: b.token }))),
      readyOf('customers'),
    ]);
    await held.release();
    const after = await Promise.all(
      buyers.map((b) => shop.call(shop.url('sales'), 'POST', '/sales', { token: b.token, body: { itemId: item.id, quantity: 1 } })),
    );
    // Purchases whose refund met the lock stay pending until the sweep refunds them (after SWEEP_AGE_MS).
    const settledMs = await shop.until(
      async () =>
        (await shop.query('sales', `SELECT 1 FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE s.status = 'PENDING' AND l.item_id = $1`, [item.id]))
          .length === 0,
      'no pending sale',
    );
    console.log(
      `lock on the wallet: purchases ${JSON.stringify(countByStatus(purchases))} in ≤ ${Math.round(Math.max(...purchases.map((r) => r.ms)))} ms, ` +
        `deposits ${JSON.stringify(countByStatus(deposits))} in ≤ ${Math.round(Math.max(...deposits.map((r) => r.ms)))} ms, ` +
        `reads ${JSON.stringify(countByStatus(reads))} in ≤ ${Math.round(Math.max(...reads.map((r) => r.ms)))} ms, /ready ${ready.status}; ` +
        `after release: ${JSON.stringify(countByStatus(after))}; nothing pending ${Math.round(settledMs)} ms later`,
    );
    for (const answers of [purchases, deposits, reads])
      expect(answers.map((r) => [r.status, Number(r.retryAfter) > 0])).toEqual(answers.map(() => [503, true]));
    expect(Math.max(...deposits.map((r) => r.ms), ...reads.map((r) => r.ms))).toBeLessThan(READ_LIMIT_MS + SLACK_MS);
    expect(Math.max(...purchases.map((r) => r.ms))).toBeLessThan(PURCHASE_LIMIT_MS + SLACK_MS);
    expect(ready.status).toBe(200);
    expect(after.map((r) => r.status)).toEqual(buyers.map(() => 201));
    expect(
      await shop.books(
        [item],
        buyers.map((b) => b.id),
      ),
    ).toEqual([]);
  }, 120_000);

  /** Another inventory on this shop's database with other limits, logging at warn to a pipe we read. */
  async function inventoryWith(env: Record<string, string>) {
    const lines: string[] = [];
    const instance: ServiceProcess = await startService(
      'inventory',
      { ...shop.system.context.env.inventory, PORT: String(await freePort()), LOG_LEVEL: 'warn', ...env },
      { stdio: 'pipe' },
    );
    let partial = '';
    instance.child.stdout!.on('data', (chunk: Buffer) => {
      // A chunk may end mid-line: keep the tail for the next one.
      const text = partial + chunk.toString();
      const cut = text.lastIndexOf('\n') + 1;
      lines.push(...text.slice(0, cut).split('\n').filter(Boolean));
      partial = text.slice(cut);
    });
    instance.child.stderr!.resume();
    return { instance, logOf: (cause: string) => lines.map((line) => JSON.parse(line)).filter((entry) => entry.cause === cause) };
  }

  it('a statement that outlives the statement timeout answers 503 when the timeout ends', async () => {
    // Lock timeout above the statement timeout: the wait behind the lock is cut by statement_timeout (57014).
    const { instance, logOf } = await inventoryWith({ DATABASE_STATEMENT_TIMEOUT_MS: '500', DATABASE_LOCK_TIMEOUT_MS: '60000' });
    try {
      const item = await shop.newItem(10, 100);
      const held = await lock('inventory', 'items');
      const reads = await Promise.all(Array.from({ length: 5 }, () => shop.call(instance.url, 'GET', `/items/${item.id}`)));
      await held.release();
      const after = await shop.call(instance.url, 'GET', `/items/${item.id}`);
      console.log(
        `statement timeout (500 ms): reads ${JSON.stringify(countByStatus(reads))} in ≤ ${Math.round(Math.max(...reads.map((r) => r.ms)))} ms; after release ${after.status}`,
      );
      expect(reads.map((r) => [r.status, r.retryAfter])).toEqual(reads.map(() => [503, '1']));
      expect(Math.max(...reads.map((r) => r.ms))).toBeLessThan(500 + SLACK_MS);
      expect(after.status).toBe(200);
      expect(logOf('statement_timeout')).toHaveLength(1);
    } finally {
      await instance.stop();
    }
  }, 120_000);

  it('an exhausted pool answers 503 within the acquire timeout, and logs the burst once per window, not per request', async () => {
    // An inventory whose 2 connections wait for the lock (long statement and lock timeouts): every other request
    // finds the pool full and gets 503 after the 300 ms acquire timeout. Catalogue lists use this pool (an item by
    // id is read on the stock pool, which a purchase's calls keep to themselves).
    const { instance, logOf } = await inventoryWith({
      DATABASE_POOL_SIZE: '2',
      DATABASE_ACQUIRE_TIMEOUT_MS: '300',
      DATABASE_STATEMENT_TIMEOUT_MS: '60000',
      DATABASE_LOCK_TIMEOUT_MS: '60000',
    });
    try {
      const held = await lock('inventory', 'items');
      // A holder needs a connection before it can wait for the lock, and on a loaded machine opening one can
      // take longer than the 300 ms acquire timeout (503, pool_exhausted). Such a holder asks again until it
      // holds a connection; its 503s are counted with the others.
      let locked = true;
      const holderFaults: Answer[] = [];
      const hold = async (): Promise<Answer> => {
        for (;;) {
          const answer = await shop.call(instance.url, 'GET', '/items?limit=1');
          if (answer.status !== 503 || !locked) return answer;
          holderFaults.push(answer);
        }
      };
      const holders = [hold(), hold()];
      // Both connections are taken (waiting for the lock) before the rest arrive.
      await shop.until(
        async () =>
          (await shop.query('inventory', `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).length >= 2,
        'two requests waiting for the lock',
      );
      const rest = await Promise.all(Array.from({ length: 30 }, () => shop.call(instance.url, 'GET', '/items?limit=1')));
      const ready = await shop.call(instance.url, 'GET', '/ready');
      locked = false;
      await held.release();
      const held2 = await Promise.all(holders);
      // The first fault is logged at once; the others of the burst are counted in one line when the window ends.
      const faults = rest.length + holderFaults.length;
      const logged = () => logOf('pool_exhausted').reduce((sum, entry) => sum + (entry.count ?? 1), 0);
      await shop.until(() => Promise.resolve(logged() >= faults), 'every fault of the burst counted in the log');
      const faultLines = logOf('pool_exhausted');
      console.log(
        `exhausted pool: ${JSON.stringify(countByStatus(rest))} in ≤ ${Math.round(Math.max(...rest.map((r) => r.ms)))} ms (acquire timeout 300 ms), ` +
          `/ready ${ready.status}; the two holding the connections: ${JSON.stringify(countByStatus(held2))} after the release ` +
          `(${holderFaults.length} 503 while connecting); ${faultLines.length} log line(s) for ${faults} faults`,
      );
      expect(rest.map((r) => [r.status, r.retryAfter])).toEqual(rest.map(() => [503, '1']));
      expect(Math.max(...rest.map((r) => r.ms))).toBeLessThan(300 + SLACK_MS);
      expect(ready.status).toBe(200);
      expect(held2.map((r) => r.status)).toEqual([200, 200]);
      expect(logged()).toBe(faults);
      // One line when the burst starts, one per 10 s window while it lasts (a burst of seconds spans at most two).
      expect(faultLines.map((entry) => entry.msg)).toEqual([
        'database fault: answering 503 while it lasts',
        ...faultLines.slice(1).map(() => 'database fault continues'),
      ]);
      expect(faultLines.length).toBeLessThanOrEqual(3);
    } finally {
      await instance.stop();
    }
  }, 120_000);
});
