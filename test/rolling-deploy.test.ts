/**
 * Issue 25 item 3: deploys that drop nothing. Two replicas of every service behind a round-robin balancer
 * (packages/testkit/src/balancer.ts: it takes a replica out when its /ready answers 503 or it refuses a
 * connection, and retries only a connection refused before anything was sent). 32 purchases run at once, and
 * a few review readers, while one replica of each service in turn gets SIGTERM, must exit 0, and is started
 * again on its port. Every request gets its real answer (no reset, no 5xx, no balancer 502), and the books
 * balance afterwards: each wallet lost exactly its completed sales, each item's stock is its start less what
 * those sales took, and sales, ledger and movements agree.
 */
import crypto from 'node:crypto';
import { freePort, type ServiceName, type ServiceProcess } from '@shop/devkit';
import { eventually, newCustomer, newItem, sql, startBalancer, startInstance, type Balancer } from '@shop/testkit';

jest.setTimeout(600_000);

const NAMES: ServiceName[] = ['customers', 'inventory', 'sales', 'reviews'];
const PURCHASERS = 32;
const READERS = 4;
const BUYERS = 16;
const ITEMS = 6;
const STOCK = 100_000;
const PRICE = 100;
const BALANCE = 100_000_000;
/** The replicas keep accepting this long after SIGTERM (with /ready 503), well past the balancer's 100 ms poll. */
const REPLICA_ENV = {
  SHUTDOWN_DELAY_MS: '1500',
  SHUTDOWN_GRACE_MS: '20000',
  // Purchases must not time out on a loaded machine: a 503 here would be load, not the deploy. Two purchasers
  // share each buyer and 32 share six items, so their row locks queue; under a loaded CI a wait past the 1 s
  // defaults was a 503 "database too slow", which is capacity, not what a SIGTERM does.
  SERVICE_TIMEOUT_MS: '15000',
  DATABASE_ACQUIRE_TIMEOUT_MS: '15000',
  DATABASE_STATEMENT_TIMEOUT_MS: '15000',
  DATABASE_LOCK_TIMEOUT_MS: '15000',
  SWEEP_AGE_MS: '600000',
};

type Answer = number | 'network';

describe('rolling SIGTERMs under 32 concurrent purchases, two replicas of each service behind a balancer', () => {
  it('answers every request for real and keeps the books', async () => {
    const ports = Object.fromEntries(await Promise.all(NAMES.map(async (name) => [name, [await freePort(), await freePort()]]))) as Record<
      ServiceName,
      number[]
    >;
    const balancers = {} as Record<ServiceName, Balancer>;
    for (const name of NAMES) balancers[name] = await startBalancer(ports[name].map((port) => `http://127.0.0.1:${port}`));
    const wiring = {
      ...REPLICA_ENV,
      CUSTOMERS_URL: balancers.customers.url,
      INVENTORY_URL: balancers.inventory.url,
      SALES_URL: balancers.sales.url,
      REVIEWS_URL: balancers.reviews.url,
      JWKS_URL: `${balancers.customers.url}/.well-known/jwks.json`,
    };
    const start = (name: ServiceName, replica: number) => startInstance(name, { ...wiring, PORT: String(ports[name][replica]) }, { readyTimeoutMs: 120_000 });
    const replicas = {} as Record<ServiceName, ServiceProcess[]>;
    try {
      // customers first (the others read its keys), one process at a time: eight cold starts on two shared cores.
      for (const name of NAMES) replicas[name] = [await start(name, 0), await start(name, 1)];

      const buyers = await Promise.all(Array.from({ length: BUYERS }, () => newCustomer({ balanceCents: BALANCE })));
      const items = await Promise.all(Array.from({ length: ITEMS }, () => newItem({ priceCents: PRICE, stockCount: STOCK })));

      const answers: Answer[] = [];
      const unexpected: string[] = [];
      let running = true;
      const call = async (url: string, init: RequestInit): Promise<Answer> => {
        try {
          const res = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
          const text = await res.text();
          if (res.status >= 500) unexpected.push(`${res.status} ${init.method ?? 'GET'} ${url}: ${text.slice(0, 300)}`);
          return res.status;
        } catch (error) {
          unexpected.push(`network ${init.method ?? 'GET'} ${url}: ${String((error as Error).cause ?? error)}`);
          return 'network';
        }
      };
      const purchaser = async (worker: number) => {
        for (let n = 0; running; n++) {
          const buyer = buyers[(worker + n) % BUYERS]!;
          // Two-line baskets over shared items, in both orders.
          const [a, b] = [items[(worker + n) % ITEMS]!, items[(worker + n + 1 + (n % 3)) % ITEMS]!];
          const lines =
            a.id === b.id
              ? [{ itemId: a.id, quantity: 1 }]
              : [
                  { itemId: a.id, quantity: 1 },
                  { itemId: b.id, quantity: 2 },
                ];
          answers.push(
            await call(`${balancers.sales.url}/sales`, {
              method: 'POST',
              headers: { ...buyer.auth, 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
              body: JSON.stringify({ lines: n % 2 ? lines.reverse() : lines }),
            }),
          );
        }
      };
      const reader = async (worker: number) => {
        for (let n = 0; running; n++) {
          const buyer = buyers[worker % BUYERS]!;
          answers.push(await call(`${balancers.reviews.url}/items/${items[n % ITEMS]!.id}/reviews`, { headers: buyer.auth }));
          answers.push(await call(`${balancers.customers.url}/customers/${buyer.username}`, { headers: buyer.auth }));
        }
      };
      const load = Promise.all([...Array.from({ length: PURCHASERS }, (_, i) => purchaser(i)), ...Array.from({ length: READERS }, (_, i) => reader(i))]);

      const exits: Array<{ name: ServiceName; code: number | null }> = [];
      try {
        await eventually('the load to run', () => Promise.resolve(answers.length > 50), 120_000);
        for (const name of NAMES) {
          const answered = answers.length;
          const old = replicas[name][0]!;
          const exited = new Promise<number | null>((resolve) => old.child.once('exit', (code) => resolve(code)));
          old.child.kill('SIGTERM');
          exits.push({ name, code: await exited });
          replicas[name][0] = await start(name, 0);
          // Load passed through the restarted pair before the next service goes.
          await eventually(`load through the restarted ${name}`, () => Promise.resolve(answers.length > answered + 50), 120_000);
        }
      } finally {
        running = false;
        await load;
      }

      const counts = Object.fromEntries(NAMES.map((name) => [name, balancers[name].counts]));
      const byStatus = answers.reduce<Record<string, number>>((all, answer) => ({ ...all, [answer]: (all[answer] ?? 0) + 1 }), {});
      console.log(`rolling deploy: ${answers.length} requests answered ${JSON.stringify(byStatus)}; balancers ${JSON.stringify(counts)}`);
      expect(exits).toEqual(NAMES.map((name) => ({ name, code: 0 })));
      expect(unexpected).toEqual([]);
      expect(Object.keys(byStatus).sort()).toEqual(['200', '201']);
      for (const name of NAMES) expect(counts[name]!.failedAfterSend).toBe(0);
      // Every replica was taken out by its /ready (or a refused connect) at least once: the deploy really happened.
      for (const name of NAMES) expect(counts[name]!.removals).toBeGreaterThan(0);

      // The books. No sale is left pending; sales, the ledger and the stock movements agree.
      const ids = buyers.map((buyer) => buyer.id);
      await eventually(
        'no pending sale',
        async () => (await sql('sales', `SELECT 1 FROM sales WHERE customer_id = ANY($1::uuid[]) AND status = 'PENDING'`, [ids])).length === 0,
        60_000,
      );
      const completed = await sql<{ id: string; customer_id: string; total: number }>(
        'sales',
        `SELECT id::text, customer_id::text, total_cents::int AS total FROM sales WHERE customer_id = ANY($1::uuid[]) AND status = 'COMPLETED'`,
        [ids],
      );
      expect(completed).toHaveLength(byStatus['201']!);
      for (const buyer of buyers) {
        const [wallet] = await sql<{ balance: number; ledger: number; purchases: number }>(
          'customers',
          `SELECT balance_cents::bigint::float8 AS balance,
                  (SELECT coalesce(sum(amount_cents), 0)::float8 FROM ledger_entries WHERE customer_id = $1) AS ledger,
                  (SELECT coalesce(sum(-amount_cents), 0)::float8 FROM ledger_entries WHERE customer_id = $1 AND type = 'purchase') AS purchases
             FROM customers WHERE id = $1`,
          [buyer.id],
        );
        const spent = completed.filter((sale) => sale.customer_id === buyer.id).reduce((sum, sale) => sum + sale.total, 0);
        expect(wallet).toEqual({ balance: BALANCE - spent, ledger: BALANCE - spent, purchases: spent });
      }
      const sold = await sql<{ item_id: string; quantity: number }>(
        'sales',
        `SELECT l.item_id::text, sum(l.quantity)::int AS quantity FROM sale_lines l JOIN sales s ON s.id = l.sale_id
          WHERE s.customer_id = ANY($1::uuid[]) AND s.status = 'COMPLETED' GROUP BY l.item_id`,
        [ids],
      );
      for (const item of items) {
        const [stock] = await sql<{ stock: number; moved: number }>(
          'inventory',
          `SELECT stock_count AS stock, (SELECT coalesce(sum(delta), 0)::int FROM stock_movements WHERE item_id = $1) AS moved FROM items WHERE id = $1`,
          [item.id],
        );
        const taken = sold.find((row) => row.item_id === item.id)?.quantity ?? 0;
        expect(stock).toEqual({ stock: STOCK - taken, moved: STOCK - taken });
      }
    } finally {
      await Promise.all(NAMES.map((name) => balancers[name]?.close()));
    }
  });
});
