/**
 * The books audit (`pnpm audit:books`), on a shop of its own (its own PostgreSQL): the drift planted here by SQL is
 * never seen by another test file. A clean shop after purchases, a failed purchase and refunds balances; then each
 * kind of drift is planted by hand, the audit names each with its ids, and --repair settles what the sagas' own
 * steps can (a missing debit, an orphaned reservation) and leaves the rest to a person.
 */
import crypto from 'node:crypto';
import { startOwnShop, type OwnShop } from './support/own-shop';
import { auditBooks, driftOf } from './support/audit-books';

jest.setTimeout(420_000);

let shop: OwnShop;
beforeAll(async () => {
  // A second shop beside the suite's: on a loaded machine its services may take more than the default 60 s to be ready.
  // Sales' timer audits every second here, so its gauges (what the BooksDrift alerts read) follow the planted drift.
  shop = await startOwnShop({ BOOKS_AUDIT_INTERVAL_MS: '1000' }, { readyTimeoutMs: 180_000 });
});
afterAll(() => shop?.stop());

/** Runs `work` in one transaction with triggers off (the ledger and the stock history are append-only). */
async function plant(service: 'customers' | 'inventory', work: (q: (text: string, params?: unknown[]) => Promise<any[]>) => Promise<void>) {
  const client = await shop.connect(service);
  await client.query('BEGIN');
  await client.query('SET LOCAL session_replication_role = replica');
  await work(async (text, params) => (await client.query(text, params)).rows);
  await client.query('COMMIT');
}

describe('pnpm audit:books', () => {
  const ids = {} as { buyer: string; other: string; itemA: string; itemB: string; missingDebitSale: string; doubleCreditRefund: string };

  it('reports zero drift on a clean shop after purchases, a failed purchase and refunds', async () => {
    const buyer = await shop.newCustomer(100_000);
    const poor = await shop.newCustomer(100);
    const other = await shop.newCustomer(50_000);
    const itemA = await shop.newItem(50, 1_000);
    const itemB = await shop.newItem(50, 2_500);
    const buy = (token: string, body: unknown) => shop.call(shop.url('sales'), 'POST', '/sales', { token, body });
    const sales = [
      await buy(buyer.token, { itemId: itemA.id, quantity: 2 }),
      await buy(buyer.token, {
        lines: [
          { itemId: itemA.id, quantity: 1 },
          { itemId: itemB.id, quantity: 3 },
        ],
      }),
      await buy(buyer.token, { itemId: itemB.id, quantity: 1 }),
      await buy(other.token, { itemId: itemA.id, quantity: 4 }),
    ];
    expect(sales.map((sale) => sale.status)).toEqual([201, 201, 201, 201]);
    expect((await buy(poor.token, { itemId: itemB.id, quantity: 1 })).status).toBe(402);
    const admin = await shop.adminToken();
    const partial = await shop.call(shop.url('sales'), 'POST', `/sales/${sales[1]!.body.id}/refunds`, {
      token: buyer.token,
      body: { lines: [{ itemId: itemB.id, quantity: 2 }] },
    });
    const full = await shop.call(shop.url('sales'), 'POST', `/sales/${sales[3]!.body.id}/refunds`, { token: admin, body: { restock: false } });
    expect([partial.status, full.status]).toEqual([201, 201]);
    Object.assign(ids, {
      buyer: buyer.id,
      other: other.id,
      itemA: itemA.id,
      itemB: itemB.id,
      missingDebitSale: sales[2]!.body.id,
      doubleCreditRefund: partial.body.id,
    });

    const { code, report, stderr } = await auditBooks(shop.system);
    expect(stderr).toBe('');
    expect(driftOf(report)).toEqual({});
    expect(report.counted).toMatchObject({ sales: 5, refunds: 2, wallets: 4, items: 2 });
    expect(report.pending.sales).toBe(0);
    expect(code).toBe(0);
  });

  it('names each planted kind of drift with its ids, and exits non-zero', async () => {
    // A missing debit: the sale's purchase entry is gone (its amount back in the wallet, so the balance still sums).
    await plant('customers', async (q) => {
      const [entry] = await q(`DELETE FROM ledger_entries WHERE type = 'purchase' AND reference = $1 RETURNING customer_id, amount_cents`, [
        ids.missingDebitSale,
      ]);
      await q('UPDATE customers SET balance_cents = balance_cents - $2 WHERE id = $1', [entry.customer_id, entry.amount_cents]);
    });
    // A double credit: the refund credited twice (the unique key that forbids it dropped for the plant).
    await plant('customers', async (q) => {
      await q('DROP INDEX IF EXISTS "ledger_entries_type_reference_key"');
      const [credit] = await q(`SELECT customer_id, amount_cents FROM ledger_entries WHERE type = 'refund' AND reference = $1`, [ids.doubleCreditRefund]);
      const [after] = await q('UPDATE customers SET balance_cents = balance_cents + $2 WHERE id = $1 RETURNING balance_cents', [
        credit.customer_id,
        credit.amount_cents,
      ]);
      await q(
        `INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference) VALUES (gen_random_uuid(), $1, 'refund', $2, $3, $4)`,
        [credit.customer_id, credit.amount_cents, after.balance_cents, ids.doubleCreditRefund],
      );
    });
    // An orphaned movement: stock taken (reservation and movement) for a sale sales never heard of.
    const orphan = crypto.randomUUID();
    await plant('inventory', async (q) => {
      await q('SELECT * FROM stock_take($1, $2::uuid[], $3::int[])', [orphan, [ids.itemA], [3]]);
    });
    // A balance that is not its ledger's sum.
    await plant('customers', async (q) => {
      await q('UPDATE customers SET balance_cents = balance_cents + 777 WHERE id = $1', [ids.other]);
    });

    const { code, report } = await auditBooks(shop.system);
    expect(driftOf(report)).toEqual({ missing_debit: 1, double_credit: 1, orphan_movement: 1, wallet_balance: 1 });
    const named = (kind: string) => report.discrepancies.find((found: { kind: string }) => found.kind === kind)?.ids;
    expect(named('missing_debit')).toMatchObject({ saleId: ids.missingDebitSale, customerId: ids.buyer });
    expect(named('double_credit')).toMatchObject({ refundId: ids.doubleCreditRefund, customerId: ids.buyer });
    expect(named('orphan_movement')).toMatchObject({ reference: orphan });
    expect(named('wallet_balance')).toEqual({ customerId: ids.other });
    expect(code).toBe(1);
  });

  it("sales' timer publishes the drift on /metrics, with what the BooksAuditNotRunning alert compares", async () => {
    const metrics = async () => (await fetch(`${shop.url('sales')}/metrics`)).text();
    /** The sample of `name` whose labels include `labels` (prom-client orders labels as it likes). */
    const value = (text: string, name: string, labels: Record<string, string> = {}) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([key, v]) => l.includes(`${key}="${v}"`)));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    let text = '';
    await shop.until(async () => {
      text = await metrics();
      return value(text, 'books_drift', { kind: 'missing_debit' }) === 1 && value(text, 'books_drift', { kind: 'wallet_balance' }) === 1;
    }, 'the timer audit to publish the planted drift');
    expect(value(text, 'books_drift', { kind: 'double_credit' })).toBe(1);
    expect(value(text, 'books_drift', { kind: 'orphan_movement' })).toBe(1);
    expect(value(text, 'books_drift', { kind: 'stuck_refund' })).toBe(0);
    expect(value(text, 'books_audit_interval_seconds')).toBe(1);
    expect(value(text, 'books_audit_last_run_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('--repair settles the missing debit and the orphaned reservation with the sagas’ steps, and lists the rest for a person', async () => {
    const [before] = await shop.query('customers', 'SELECT balance_cents::int AS balance FROM customers WHERE id = $1', [ids.buyer]);
    const [stockBefore] = await shop.query('inventory', 'SELECT stock_count FROM items WHERE id = $1', [ids.itemA]);
    const repair = await auditBooks(shop.system, '--repair');
    const outcome = Object.fromEntries(repair.report.discrepancies.map((found: { kind: string; repair: string }) => [found.kind, found.repair]));
    expect(outcome).toEqual({ missing_debit: 'repaired', orphan_movement: 'repaired', double_credit: 'needs a person', wallet_balance: 'needs a person' });
    expect(repair.code).toBe(1);
    // The debit is recorded once (2500 cents, the sale's total), the reservation's 3 units are back in stock.
    const [after] = await shop.query('customers', 'SELECT balance_cents::int AS balance FROM customers WHERE id = $1', [ids.buyer]);
    expect(after.balance).toBe(before.balance - 2_500);
    const [stockAfter] = await shop.query('inventory', 'SELECT stock_count FROM items WHERE id = $1', [ids.itemA]);
    expect(stockAfter.stock_count).toBe(stockBefore.stock_count + 3);

    const again = await auditBooks(shop.system);
    expect(driftOf(again.report)).toEqual({ double_credit: 1, wallet_balance: 1 });
  });
});
