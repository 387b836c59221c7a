/**
 * Replica safety, proved on this machine: two instances of customers, inventory and sales on different
 * ports and the same databases, a concurrent purchase load spread over both sales instances (each wired to
 * its own customers and inventory instance), one instance of each killed with SIGKILL mid-run, and then the
 * books: no unit oversold, no cent lost or doubled, no sale left pending, no sale swept or charged twice.
 *
 * Only instances this file starts are killed (the harness's own instances serve every other test file):
 *   A = harness customers + harness inventory + an extra sales (sweeps often)   — survives
 *   B = extra customers + extra inventory + extra sales                         — killed mid-run
 */
import crypto from 'node:crypto';
import { admin, api, newCustomer, startInstance, sql, system, type TestCustomer } from '@shop/testkit';

jest.setTimeout(180_000);

/**
 * Timeouts short enough that the sweep may take sales 17.5 s old (its config refuses a SWEEP_AGE_MS that a
 * live purchase could still reach: 4 calls × 2 attempts × (1.5 s + 0.5 s backoff) + 1 s = 17 s), long enough
 * for a few hot rows under load on two cores.
 */
const SALES_ENV = { SERVICE_TIMEOUT_MS: '1500', SERVICE_RETRY_ATTEMPTS: '2', SWEEP_AGE_MS: '17500', SWEEP_INTERVAL_MS: '500' };
const CUSTOMERS = 40;
const ATTEMPTS = 150;
const CONCURRENCY = 12;
/** Responses after which B is killed: mid-run, with B's purchases in flight. */
const KILL_AFTER = 45;
const STOCK = [12, 9, 7];

type Outcome = number | 'network';

async function buy(salesUrl: string, customer: TestCustomer, itemId: string, quantity: number, key: string): Promise<Outcome> {
  try {
    const res = await fetch(`${salesUrl}/sales`, {
      method: 'POST',
      headers: { ...customer.auth, 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({ itemId, quantity }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 500 && res.status !== 503) console.log(`unexpected ${res.status} from ${salesUrl}: ${text}`);
    return res.status;
  } catch {
    return 'network'; // connection refused or reset: the instance died
  }
}

/** Runs `task` over 0..n-1 with at most `limit` in flight. */
async function pool(n: number, limit: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('two replicas of each service under a purchase load, one of each killed mid-run', () => {
  it('keeps the books: no oversold unit, no lost or doubled cent, no sale left pending or swept twice', async () => {
    const started = Date.now();
    const phase = (what: string) => console.log(`${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { urls } = system();
    // B: its own customers and inventory, and a sales wired to them. Started before the test data is made,
    // not alongside: on two cores, four starting processes plus the data would risk their 30 s ready limit.
    const [customersB, inventoryB] = await Promise.all([startInstance('customers'), startInstance('inventory')]);
    const [salesA, salesB] = await Promise.all([
      startInstance('sales', { ...SALES_ENV, CUSTOMERS_URL: urls.customers, INVENTORY_URL: urls.inventory }),
      startInstance('sales', {
        ...SALES_ENV,
        CUSTOMERS_URL: customersB.url,
        INVENTORY_URL: inventoryB.url,
        JWKS_URL: `${customersB.url}/.well-known/jwks.json`,
      }),
    ]);

    const { auth } = await admin();
    const items: Array<{ id: string; priceCents: number; stock: number }> = [];
    for (const [i, stock] of STOCK.entries()) {
      const res = await api('inventory')
        .post('/items')
        .set(auth)
        .send({ name: `replica item ${crypto.randomUUID().slice(0, 8)}`, category: 'electronics', priceCents: 500 + 150 * i, stockCount: stock });
      expect(res.status).toBe(201);
      items.push({ id: res.body.id, priceCents: res.body.priceCents, stock });
    }
    const deposits = new Map<string, number>();
    const customers: TestCustomer[] = [];
    await pool(CUSTOMERS, 8, async (i) => {
      const balanceCents = 1_000 + (i % 8) * 400; // some can afford little: insufficient_funds happens too
      const customer = await newCustomer({ balanceCents });
      customers.push(customer);
      deposits.set(customer.id, balanceCents);
    });
    phase('instances, items and customers ready');
    // The load: attempts alternate between A and B; a network failure or 503 is retried once on A with the
    // same Idempotency-Key, as a client behind a load balancer would.
    const outcomes: Record<string, number> = {};
    const count = (label: string) => (outcomes[label] = (outcomes[label] ?? 0) + 1);
    let responses = 0;
    let killed: Promise<void> | undefined;
    const killB = async () => {
      // Staggered, so B's sales meets dead neighbours mid-purchase before it dies itself.
      await customersB.kill();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await inventoryB.kill();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await salesB.kill();
    };
    await pool(ATTEMPTS, CONCURRENCY, async (i) => {
      const customer = customers[(i * 7) % customers.length]!;
      const item = items[i % items.length]!;
      const quantity = 1 + (i % 2);
      const key = `replica-${i}-${crypto.randomUUID()}`;
      const first = i % 2 ? 'B' : 'A';
      let outcome = await buy((first === 'B' ? salesB : salesA).url, customer, item.id, quantity, key);
      count(`${first}:${outcome}`);
      if (outcome === 'network' || outcome === 503) {
        outcome = await buy(salesA.url, customer, item.id, quantity, key);
        count(`retry:${outcome}`);
      }
      if (++responses === KILL_AFTER) killed = killB();
    });
    await killed;
    phase('load done');
    console.log('purchase outcomes (instance:status):', JSON.stringify(outcomes));
    expect(Object.keys(outcomes).filter((label) => !/^(A|B|retry):(201|402|409|503|network)$/.test(label))).toEqual([]);
    expect(outcomes['A:201'] ?? 0).toBeGreaterThan(0);
    expect(outcomes['B:201'] ?? 0).toBeGreaterThan(0); // B really served purchases before it died

    const customerIds = customers.map((c) => c.id);
    const itemIds = items.map((item) => item.id);
    // What B left pending is undone by A's sweep (claimed FOR UPDATE SKIP LOCKED; bounded wait).
    await waitFor(
      'no pending sale',
      async () => (await sql('sales', `SELECT 1 FROM sales WHERE customer_id = ANY($1::uuid[]) AND status = 'PENDING' LIMIT 1`, [customerIds])).length === 0,
      60_000,
    );

    phase('nothing pending');
    const sales = await sql<{
      id: string;
      customer_id: string;
      item_id: string;
      quantity: number;
      total_cents: string;
      status: string;
      recovery_count: number;
    }>(
      'sales',
      `SELECT s.id::text, s.customer_id::text, l.item_id::text, l.quantity, s.total_cents::text, s.status::text, s.recovery_count
       FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE s.customer_id = ANY($1::uuid[])`,
      [customerIds],
    );
    const completed = sales.filter((s) => s.status === 'COMPLETED');
    expect(completed.length).toBeGreaterThan(0);
    // Swept at most once each.
    expect(sales.filter((s) => s.recovery_count > 1)).toEqual([]);
    console.log(
      'sales by status:',
      JSON.stringify(sales.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), {})),
      'swept:',
      sales.filter((s) => s.recovery_count === 1).length,
    );

    // Stock: never below zero, and what left the shelf is exactly what completed sales sold.
    const stock = await sql<{ id: string; stock_count: number }>('inventory', 'SELECT id::text, stock_count FROM items WHERE id = ANY($1::uuid[])', [itemIds]);
    for (const item of items) {
      const left = stock.find((row) => row.id === item.id)!.stock_count;
      const sold = completed.filter((s) => s.item_id === item.id).reduce((sum, s) => sum + s.quantity, 0);
      expect({ item: item.id, left: left >= 0, sold }).toEqual({ item: item.id, left: true, sold: item.stock - left });
    }
    // Every completed sale holds a taken reservation, and nothing else holds stock.
    const taken = await sql<{ reference: string }>(
      'inventory',
      `SELECT r.reference FROM stock_reservations r JOIN stock_reservation_lines l USING (reference) WHERE l.item_id = ANY($1::uuid[]) AND r.state = 'taken'`,
      [itemIds],
    );
    expect(taken.map((r) => r.reference).sort()).toEqual(completed.map((s) => s.id).sort());

    // Money: each balance = deposits − completed totals, the ledger agrees with the balance, and every
    // reference was charged at most once (and stays charged only for a completed sale).
    const balances = await sql<{ id: string; balance_cents: string; ledger: string }>(
      'customers',
      `SELECT c.id::text, c.balance_cents::text, COALESCE(SUM(l.amount_cents), 0)::text AS ledger
       FROM customers c LEFT JOIN ledger_entries l ON l.customer_id = c.id WHERE c.id = ANY($1::uuid[]) GROUP BY c.id`,
      [customerIds],
    );
    expect(balances).toHaveLength(CUSTOMERS);
    for (const row of balances) {
      const spent = completed.filter((s) => s.customer_id === row.id).reduce((sum, s) => sum + Number(s.total_cents), 0);
      expect({ customer: row.id, balance: Number(row.balance_cents), ledger: Number(row.ledger) }).toEqual({
        customer: row.id,
        balance: deposits.get(row.id)! - spent,
        ledger: deposits.get(row.id)! - spent,
      });
    }
    const twice = await sql(
      'customers',
      `SELECT reference, type::text, count(*)::int AS n FROM ledger_entries WHERE customer_id = ANY($1::uuid[]) AND reference IS NOT NULL
       GROUP BY reference, type HAVING count(*) > 1`,
      [customerIds],
    );
    expect(twice).toEqual([]);
    const charged = await sql<{ reference: string }>(
      'customers',
      `SELECT p.reference FROM ledger_entries p WHERE p.customer_id = ANY($1::uuid[]) AND p.type = 'purchase'
         AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.type = 'refund' AND r.reference = p.reference)`,
      [customerIds],
    );
    expect(charged.map((r) => r.reference).sort()).toEqual(completed.map((s) => s.id).sort());
  });
});
