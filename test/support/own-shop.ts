// A whole shop on a PostgreSQL of its own, for tests that stop the database or lock its tables: the shared
// system of the jest run must never see those faults (other test files run against it in parallel).
import crypto from 'node:crypto';
import { fetchJson, startTestSystem, type TestSystem } from '@shop/testkit';
import type { ServiceName } from '@shop/devkit';
import pg from 'pg';

export interface Answer {
  status: number; // 0: no answer at all
  body: any;
  retryAfter: string | null;
  ms: number;
}

export interface OwnShop {
  system: TestSystem;
  url(service: ServiceName): string;
  call(base: string, method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
  /** A direct connection to a service's database (for locks and the books). */
  connect(service: ServiceName): Promise<pg.Client>;
  query<T = any>(service: ServiceName, text: string, params?: unknown[]): Promise<T[]>;
  adminToken(): Promise<string>;
  newItem(stockCount: number, priceCents: number): Promise<{ id: string; stockCount: number; priceCents: number }>;
  newCustomer(balanceCents: number): Promise<{ id: string; username: string; token: string }>;
  /** Waits (polling) until `check` holds; the test's timeout bounds it. Returns the time it took. */
  until(check: () => Promise<boolean>, what: string, timeoutMs?: number): Promise<number>;
  /** Every invariant of the books for these items and customers, once nothing is pending. */
  books(items: Array<{ id: string; stockCount: number }>, customerIds: string[]): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startOwnShop(env: Record<string, string> = {}, options: { readyTimeoutMs?: number } = {}): Promise<OwnShop> {
  const system = await startTestSystem({ ownPostgres: true, databaseLimits: 'default', env, ...options });
  const { urls, databaseUrls } = system.context;
  const clients: pg.Client[] = [];
  const connect = async (service: ServiceName) => {
    const client = new pg.Client({ connectionString: databaseUrls[service] });
    client.on('error', () => {}); // a database stop ends it; the test opens another
    await client.connect();
    clients.push(client);
    return client;
  };
  const query = async <T>(service: ServiceName, text: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: databaseUrls[service] });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const call: OwnShop['call'] = async (base, method, path, options = {}) => {
    const { status, body, headers, ms } = await fetchJson(base, method, path, { ...options, timeoutMs: 60_000 });
    return { status, body, retryAfter: headers?.get('retry-after') ?? null, ms };
  };
  let admin: Promise<string> | undefined;
  const adminToken = () =>
    (admin ??= call(urls.customers, 'POST', '/auth/login', { body: system.context.admin }).then((res) => {
      if (res.status !== 200) throw new Error(`admin login: ${res.status}`);
      return res.body.accessToken as string;
    }));

  return {
    system,
    url: (service) => urls[service],
    call,
    connect,
    query,
    adminToken,
    async newItem(stockCount, priceCents) {
      const res = await call(urls.inventory, 'POST', '/items', {
        token: await adminToken(),
        body: { name: `dbf-${crypto.randomBytes(4).toString('hex')}`, category: 'food', priceCents, stockCount },
      });
      if (res.status !== 201) throw new Error(`item: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, stockCount, priceCents };
    },
    async newCustomer(balanceCents) {
      const username = `dbf${crypto.randomBytes(5).toString('hex')}`;
      const body = {
        username,
        password: 'fault-drill-walnut-ladder',
        firstName: 'Fault',
        lastName: 'Test',
        age: 40,
        address: 'Here',
        gender: 'other',
        maritalStatus: 'single',
      };
      const created = await call(urls.customers, 'POST', '/customers', { body });
      if (created.status !== 201) throw new Error(`customer: ${created.status}`);
      const login = await call(urls.customers, 'POST', '/auth/login', { body: { username, password: body.password } });
      const token = login.body.accessToken as string;
      const deposit = await call(urls.customers, 'POST', `/customers/${username}/wallet/deposits`, { token, body: { amountCents: balanceCents } });
      if (deposit.status !== 201) throw new Error(`deposit: ${deposit.status}`);
      return { id: created.body.id, username, token };
    },
    async until(check, what, timeoutMs = 90_000) {
      const started = performance.now();
      for (;;) {
        if (await check().catch(() => false)) return performance.now() - started;
        if (performance.now() - started > timeoutMs) throw new Error(`gave up waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async books(items, customerIds) {
      const problems: string[] = [];
      const itemIds = items.map((item) => item.id);
      const sales = await query<{ id: string; item_id: string; quantity: number; total: string; status: string }>(
        'sales',
        `SELECT s.id, l.item_id, l.quantity, s.total_cents::text AS total, s.status FROM sales s JOIN sale_lines l ON l.sale_id = s.id
         WHERE l.item_id = ANY($1::uuid[])`,
        [itemIds],
      );
      for (const sale of sales) if (sale.status === 'PENDING') problems.push(`sale ${sale.id} still pending`);
      const wallets = await query<{ username: string; balance: string; ledger: string }>(
        'customers',
        `SELECT c.username, c.balance_cents::text AS balance, coalesce(sum(l.amount_cents), 0)::text AS ledger
           FROM customers c LEFT JOIN ledger_entries l ON l.customer_id = c.id WHERE c.id = ANY($1::uuid[]) GROUP BY c.id`,
        [customerIds],
      );
      for (const w of wallets) if (w.balance !== w.ledger) problems.push(`wallet of ${w.username}: balance ${w.balance} ≠ ledger ${w.ledger}`);
      const charges = await query<{ reference: string; net: string; debits: number }>(
        'customers',
        `SELECT reference, sum(amount_cents)::text AS net, count(*) FILTER (WHERE type = 'purchase')::int AS debits
           FROM ledger_entries WHERE type IN ('purchase', 'refund') AND customer_id = ANY($1::uuid[]) GROUP BY reference`,
        [customerIds],
      );
      const byRef = new Map(charges.map((c) => [c.reference, c]));
      const saleIds = new Set(sales.map((s) => s.id));
      for (const c of charges) {
        if (!saleIds.has(c.reference)) problems.push(`ledger reference ${c.reference} is no sale`);
        if (c.debits > 1) problems.push(`sale ${c.reference} debited ${c.debits} times`);
      }
      for (const s of sales) {
        const net = BigInt(byRef.get(s.id)?.net ?? 0);
        if (s.status === 'COMPLETED' && net !== -BigInt(s.total)) problems.push(`completed sale ${s.id}: ledger nets ${net}, total ${s.total}`);
        if (s.status === 'FAILED' && net !== 0n) problems.push(`failed sale ${s.id}: ledger nets ${net}`);
      }
      const stock = await query<{ id: string; stock_count: number }>('inventory', 'SELECT id, stock_count FROM items WHERE id = ANY($1::uuid[])', [itemIds]);
      for (const row of stock) {
        const initial = items.find((item) => item.id === row.id)!.stockCount;
        const sold = sales.filter((s) => s.item_id === row.id && s.status === 'COMPLETED').reduce((sum, s) => sum + s.quantity, 0);
        if (row.stock_count !== initial - sold) problems.push(`item ${row.id}: stock ${row.stock_count}, expected ${initial} − ${sold}`);
      }
      return problems;
    },
    async stop() {
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      await system.stop();
    },
  };
}

/** Answers counted by status, for the report: `{ "201": 80, "503": 41 }`. */
export function countByStatus(answers: Array<{ status: number }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}
