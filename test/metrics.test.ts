// The metrics an operator alerts on (docs/operations.md, "Metrics an operator alerts on"): each is on /metrics
// and moves when its event happens. Counters are read before and after (other files share these processes, so
// only growth is asserted); gauges that others could move are read on instances with a database of their own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { admin, api, eventually, newCustomer, newItem, startIsolated, url } from '@shop/testkit';
import pg from 'pg';
import { startReceiver, type Receiver } from './support/receiver';
import { query, subscribe } from './support/webhooks';

type Labels = Record<string, string>;

/** Every sample of `name` on a /metrics page whose labels include `labels`, summed; undefined when there is none. */
function sample(text: string, name: string, labels: Labels = {}): number | undefined {
  let found: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const own = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => own[key] === value)) found = (found ?? 0) + Number(match[3]);
  }
  return found;
}

const page = async (service: string) => {
  const res = await api(service).get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
};
const read = async (service: string, name: string, labels: Labels = {}) => sample(await page(service), name, labels);

/** Runs `action`, then waits until the metric has grown by at least `by` (background effects), and answers the growth. */
async function growth(service: string, name: string, labels: Labels, action: () => Promise<unknown>, by = 1) {
  const before = (await read(service, name, labels)) ?? 0;
  await action();
  const after = await eventually(`${name}${JSON.stringify(labels)} to grow by ${by}`, async () => {
    const now = (await read(service, name, labels)) ?? 0;
    return now - before >= by && now;
  });
  return after - before;
}

const buy = (auth: Record<string, string>, itemId: string) => api('sales').post('/sales').set(auth).send({ itemId, quantity: 1 });

const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

describe('sales metrics', () => {
  it('counts a completed purchase and times each of its saga steps', async () => {
    const [customer, item] = await Promise.all([newCustomer({ balanceCents: 10_000 }), newItem({ priceCents: 100 })]);
    const step = { saga: 'purchase', step: 'reserve stock', outcome: 'done' };
    const stepsBefore = (await read('sales', 'saga_step_duration_seconds_count', step)) ?? 0;
    expect(
      await growth('sales', 'sales_completed_total', {}, async () => {
        expect((await buy(customer.auth, item.id)).status).toBe(201);
      }),
    ).toBeGreaterThanOrEqual(1);
    const text = await page('sales');
    expect(sample(text, 'saga_step_duration_seconds_count', step)! - stepsBefore).toBeGreaterThanOrEqual(1);
    for (const name of ['check total and balance', 'debit wallet']) {
      expect(sample(text, 'saga_step_duration_seconds_count', { saga: 'purchase', step: name, outcome: 'done' })).toBeGreaterThanOrEqual(1);
    }
    expect(sample(text, 'saga_step_duration_seconds_bucket', { ...step, le: '+Inf' })).toBeGreaterThanOrEqual(1);
  });

  it('counts a purchase refused for funds as failed with its reason, and the refused step', async () => {
    const [customer, item] = await Promise.all([newCustomer({ balanceCents: 0 }), newItem({ priceCents: 500 })]);
    const refusedStep = { saga: 'purchase', step: 'check total and balance', outcome: 'refused' };
    const stepsBefore = (await read('sales', 'saga_step_duration_seconds_count', refusedStep)) ?? 0;
    await growth('sales', 'sales_failed_total', { reason: 'insufficient_funds' }, async () => {
      expect((await buy(customer.auth, item.id)).status).toBe(402);
    });
    expect((await read('sales', 'saga_step_duration_seconds_count', refusedStep))! - stepsBefore).toBeGreaterThanOrEqual(1);
  });

  it('counts a completed refund', async () => {
    const [customer, item] = await Promise.all([newCustomer({ balanceCents: 10_000 }), newItem({ priceCents: 100 })]);
    const sale = await buy(customer.auth, item.id);
    expect(sale.status).toBe(201);
    await growth('sales', 'sales_refunded_total', { outcome: 'completed' }, async () => {
      expect((await api('sales').post(`/sales/${sale.body.id}/refunds`).set(customer.auth).send({})).status).toBe(201);
    });
  });

  it('counts a refund completed by the sweep while its own request was still running once, not twice', async () => {
    // Customers behind a proxy that holds the refund's first credit call (the request's) until the test lets it go.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    const target = new URL(url('customers'));
    const proxy = http.createServer((req, res) => {
      const forward = () =>
        req.pipe(
          http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode!, answer.headers);
            answer.pipe(res);
          }),
        );
      if (req.url === '/internal/wallet/credits' && held++ === 0) void released.then(forward);
      else forward();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      // One attempt per call within 10 s; the sweep looks every 200 ms at refunds older than a minute.
      const { instances, databaseUrl } = await startIsolated('sales', 1, {
        CUSTOMERS_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        SERVICE_TIMEOUT_MS: '10000',
        SERVICE_RETRY_ATTEMPTS: '1',
        SWEEP_AGE_MS: '60000',
        SWEEP_INTERVAL_MS: '200',
      });
      const sales = instances[0]!.url;
      const [customer, item] = await Promise.all([newCustomer({ balanceCents: 10_000 }), newItem({ priceCents: 100 })]);
      const sale = await api(sales).post('/sales').set(customer.auth).send({ itemId: item.id, quantity: 1 });
      expect(sale.status).toBe(201);
      const before = (await read(sales, 'sales_refunded_total', { outcome: 'completed' })) ?? 0;
      const refunding = api(sales)
        .post(`/sales/${sale.body.id}/refunds`)
        .set(customer.auth)
        .send({})
        .then((res) => res);
      // While the request waits on its credit, the refund looks abandoned (an hour old): the sweep completes it.
      await eventually('the request held at its credit call', () => Promise.resolve(held === 1));
      await query(databaseUrl, `UPDATE refunds SET created_at = now() - interval '1 hour' WHERE sale_id = $1::uuid`, [sale.body.id]);
      await eventually('the refund completed by the sweep', async () => {
        const [row] = await query<{ status: string }>(databaseUrl, 'SELECT status FROM refunds WHERE sale_id = $1::uuid', [sale.body.id]);
        return row?.status === 'COMPLETED';
      });
      // Now the request goes on: its steps find them done, and it finds the refund completed already.
      release();
      expect((await refunding).status).toBe(201);
      expect(held).toBeGreaterThanOrEqual(2);
      expect(((await read(sales, 'sales_refunded_total', { outcome: 'completed' })) ?? 0) - before).toBe(1);
    } finally {
      release();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('shows the pending sales and the age of the oldest, read from the database at scrape time', async () => {
    // A sales instance on a database of its own: nothing else is pending there. The sweep takes only sales older
    // than SWEEP_AGE_MS, so a sale of a minute ago stays pending.
    const { instances, databaseUrl } = await startIsolated('sales', 1, { SWEEP_AGE_MS: '3600000' });
    const sales = instances[0]!.url;
    expect(await read(sales, 'sales_pending', { kind: 'sale' })).toBe(0);
    expect(await read(sales, 'sales_pending_oldest_age_seconds', { kind: 'sale' })).toBe(0);
    const customer = await newCustomer();
    await query(
      databaseUrl,
      `INSERT INTO sales (id, customer_id, username, username_key, status, created_at)
       VALUES (gen_random_uuid(), $1, $2::text, lower($2::text), 'PENDING', now() - interval '60 seconds')`,
      [customer.id, customer.username],
    );
    // Scrapes within a second share one read (sharedRead), so the page that shows it may be the next one.
    const text = await eventually('the pending sale on /metrics', async () => {
      const current = await page(sales);
      return sample(current, 'sales_pending', { kind: 'sale' }) === 1 && current;
    });
    expect(sample(text, 'sales_pending_oldest_age_seconds', { kind: 'sale' })).toBeGreaterThanOrEqual(60);
    expect(sample(text, 'sales_pending', { kind: 'refund' })).toBe(0);
    expect(sample(text, 'sales_sweep_age_seconds')).toBe(3600);
  });
});

describe('customers metrics', () => {
  it('counts logins by outcome, and a throttled one as a rate-limit refusal of its route', async () => {
    const customer = await newCustomer();
    await growth('customers', 'customers_logins_total', { outcome: 'success' }, async () => {
      expect((await api('customers').post('/auth/login').send({ username: customer.username, password: customer.password })).status).toBe(200);
    });
    await growth('customers', 'customers_logins_total', { outcome: 'invalid_credentials' }, async () => {
      expect((await api('customers').post('/auth/login').send({ username: customer.username, password: 'wrong-password' })).status).toBe(401);
    });
    // LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS (5 by default) wrong guesses, then the next is refused.
    const refusal = { method: 'POST', route: '/auth/login' };
    const before = (await read('customers', 'rate_limit_refusals_total', refusal)) ?? 0;
    const throttledBefore = (await read('customers', 'customers_logins_total', { outcome: 'throttled' })) ?? 0;
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) {
      status = (await api('customers').post('/auth/login').send({ username: customer.username, password: 'wrong-password' })).status;
    }
    expect(status).toBe(429);
    const text = await page('customers');
    expect(sample(text, 'rate_limit_refusals_total', refusal)! - before).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'customers_logins_total', { outcome: 'throttled' })! - throttledBefore).toBeGreaterThanOrEqual(1);
    // Labels are fixed outcomes and route templates: never the username.
    expect(text).not.toContain(customer.username);
  });
});

describe('kit metrics, on every service', () => {
  it.each(['customers', 'inventory', 'sales', 'reviews'] as const)(
    '%s shows its pool, database faults, outbox, deliveries and key fetches',
    async (service) => {
      const text = await page(service);
      expect(sample(text, 'database_pool_waiting')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'database_faults_total', { cause: 'pool_exhausted', service })).toBeGreaterThanOrEqual(0);
      for (const stage of ['fan_out', 'delivery']) {
        expect(sample(text, 'outbox_backlog', { stage })).toBeGreaterThanOrEqual(0);
        expect(sample(text, 'outbox_oldest_age_seconds', { stage })).toBeGreaterThanOrEqual(0);
      }
      expect(sample(text, 'webhook_deliveries_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(0);
      if (service !== 'customers') expect(sample(text, 'jwks_refreshes_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    },
  );

  it('shows requests waiting for a pool connection, and counts the ones that waited too long as database faults', async () => {
    // One pooled connection, held by an update waiting on a row lock the test holds: the next writes wait for the
    // pool, then give up after DATABASE_ACQUIRE_TIMEOUT_MS (503, cause pool_exhausted).
    const { instances, databaseUrl } = await startIsolated('inventory', 1, {
      DATABASE_POOL_SIZE: '1',
      DATABASE_ACQUIRE_TIMEOUT_MS: '3000',
      DATABASE_LOCK_TIMEOUT_MS: '30000',
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
    });
    const inventory = instances[0]!.url;
    const auth = (await admin()).auth;
    const create = async (name: string) =>
      (await api(inventory).post('/items').set(auth).send({ name, category: 'food', priceCents: 100, stockCount: 5 })).body;
    const [held, other] = [await create('locked item'), await create('other item')];
    const faults = (await read(inventory, 'database_faults_total', { cause: 'pool_exhausted' })) ?? 0;
    expect(await read(inventory, 'database_pool_waiting')).toBe(0);
    const lock = new pg.Client({ connectionString: databaseUrl });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT 1 FROM items WHERE id = $1::uuid FOR UPDATE', [held.id]);
      const blocked = api(inventory)
        .patch(`/items/${held.id}`)
        .set(auth)
        .send({ priceCents: 200 })
        .then((res) => res);
      await eventually('the update waiting on the row lock', async () => {
        const rows = await query(databaseUrl, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        return rows.length === 1;
      });
      const waiting = [1, 2].map((n) =>
        api(inventory)
          .patch(`/items/${other.id}`)
          .set(auth)
          .send({ priceCents: 100 + n })
          .then((res) => res.status),
      );
      await eventually('a request waiting for the pool on /metrics', async () => ((await read(inventory, 'database_pool_waiting')) ?? 0) >= 1);
      expect(await Promise.all(waiting)).toContain(503);
      expect(((await read(inventory, 'database_faults_total', { cause: 'pool_exhausted' })) ?? 0) - faults).toBeGreaterThanOrEqual(1);
      await lock.query('ROLLBACK');
      expect((await blocked).status).toBe(200);
    } finally {
      await lock.end();
    }
  });

  it('counts a failed fetch of the token signing keys', async () => {
    // customers' key set behind a server that fails the first fetch: the instance retries, loads the keys, starts.
    let fetches = 0;
    const keys = new URL('/.well-known/jwks.json', url('customers')).toString();
    const flaky = http.createServer((_req, res) => {
      if (fetches++ === 0) return void res.writeHead(503).end();
      void fetch(keys).then(async (answer) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      // On a database of its own: its webhook worker must not take the shared inventory's deliveries.
      const {
        instances: [inventory],
      } = await startIsolated('inventory', 1, { JWKS_URL: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/.well-known/jwks.json` });
      await eventually(
        'the keys loaded after the failed fetch',
        async () => ((await read(inventory!.url, 'jwks_refreshes_total', { outcome: 'ok' })) ?? 0) >= 1,
      );
      expect(await read(inventory!.url, 'jwks_refreshes_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    } finally {
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it('counts webhook deliveries by outcome', async () => {
    const ok = await startReceiver();
    const failing = await startReceiver(() => 500);
    receivers.push(ok, failing);
    await subscribe('inventory', ok, ['item.created']);
    await subscribe('inventory', failing, ['item.created']);
    await growth('inventory', 'webhook_deliveries_total', { outcome: 'delivered' }, () => newItem());
    await growth('inventory', 'webhook_deliveries_total', { outcome: 'failed' }, () => failing.waitFor(() => true, 'a failed attempt'));
  });

  it('shows the outbox backlog and the age of its oldest entry while a receiver is down', async () => {
    const { instances } = await startIsolated('inventory', 1);
    const inventory = instances[0]!.url;
    expect(await read(inventory, 'outbox_backlog', { stage: 'delivery' })).toBe(0);
    const receiver = await startReceiver();
    receivers.push(receiver);
    await subscribe(inventory, receiver, ['item.created']);
    await receiver.down();
    const created = await api(inventory)
      .post('/items')
      .set((await admin()).auth)
      .send({ name: 'backlog item', category: 'food', priceCents: 100, stockCount: 1 });
    expect(created.status).toBe(201);
    // Fanned out to a delivery that keeps failing: it stays pending, and grows older.
    await eventually('a pending delivery', async () => (await read(inventory, 'outbox_backlog', { stage: 'delivery' })) === 1);
    await eventually('its age', async () => (await read(inventory, 'outbox_oldest_age_seconds', { stage: 'delivery' }))! >= 1);
    expect(await read(inventory, 'outbox_backlog', { stage: 'fan_out' })).toBe(0);
  });
});

describe('inventory metrics', () => {
  it('counts the items at or below their low-stock threshold', async () => {
    const { instances } = await startIsolated('inventory', 1);
    const inventory = instances[0]!.url;
    const auth = (await admin()).auth;
    expect(await read(inventory, 'inventory_items_low_stock')).toBe(0);
    const item = await api(inventory).post('/items').set(auth).send({ name: 'threshold item', category: 'food', priceCents: 100, stockCount: 10 });
    expect(item.status).toBe(201);
    expect((await api(inventory).patch(`/items/${item.body.id}`).set(auth).send({ lowStockThreshold: 5 })).status).toBe(200);
    expect(await read(inventory, 'inventory_items_low_stock')).toBe(0);
    expect((await api(inventory).patch(`/items/${item.body.id}`).set(auth).send({ stockCount: 5 })).status).toBe(200);
    // Scrapes within a second share one read (sharedRead): the count shows on a later page.
    await eventually('the low-stock item on /metrics', async () => (await read(inventory, 'inventory_items_low_stock')) === 1);
  });
});
