// The books after purchases and refunds: stock, wallets and sales must agree, and nothing may stay pending.
import type { TestSystem } from '@shop/testkit';
import { CUSTOMERS, INITIAL_STOCK, query, STARTING_BALANCE } from './settings';

/** After the purchase run: stock, wallets and sales must agree, and nothing may be left pending. */
export async function checkBooks(system: TestSystem, itemIds: string[]) {
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
  const [{ cents }] = await query(
    databaseUrls.sales,
    `SELECT coalesce(sum(total_cents - refunded_cents), 0)::bigint AS cents FROM sales WHERE status = 'COMPLETED'`,
  );
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

export type Books = Awaited<ReturnType<typeof checkBooks>>;
