import { api, newCustomer, newItem as newTestItem, sql, startInstance, type ItemBody, type TestCustomer } from '@shop/testkit';

export { stockOf } from '@shop/testkit';

/** An item in inventory, created through its API by the admin. */
export const newItem = (overrides: Partial<ItemBody> = {}) => newTestItem({ category: 'electronics', priceCents: 250, description: 'test item', ...overrides });

/** The balance as the API answers it, checked against the stored ledger (they must always agree). */
export async function balanceOf(customer: TestCustomer): Promise<number> {
  const res = await api('customers').get(`/customers/${customer.username}`).set(customer.auth);
  const [stored] = await sql(
    'customers',
    'SELECT balance_cents::int AS balance, (SELECT coalesce(sum(amount_cents), 0)::int FROM ledger_entries WHERE customer_id = $1) AS ledger FROM customers WHERE id = $1',
    [customer.id],
  );
  expect(res.body.balanceCents).toBe(stored.balance);
  expect(stored.ledger).toBe(stored.balance);
  return stored.balance;
}

/** The customer's ledger rows for one sale. */
export const ledgerFor = (saleId: string) =>
  sql<{ type: string; amount: number }>('customers', 'SELECT type::text, amount_cents::int AS amount FROM ledger_entries WHERE reference = $1 ORDER BY seq', [
    saleId,
  ]);

export const salesOf = (customerId: string) =>
  sql<{ id: string; status: string; failure_reason: string | null; recovery_count: number }>(
    'sales',
    'SELECT id::text, status::text, failure_reason, recovery_count FROM sales WHERE customer_id = $1 ORDER BY created_at',
    [customerId],
  );

export const buy = (customer: TestCustomer, itemId: string, quantity?: number) =>
  api('sales')
    .post('/sales')
    .set(customer.auth)
    .send(quantity === undefined ? { itemId } : { itemId, quantity });

/** A customer with money, and an item. */
export async function buyerAndItem(options: { balanceCents?: number; stockCount?: number; priceCents?: number } = {}) {
  const { balanceCents = 10_000, ...itemOptions } = options;
  const [customer, item] = await Promise.all([newCustomer({ balanceCents }), newItem(itemOptions)]);
  return { customer, item };
}

/**
 * Settings for an extra sales instance used in fault tests: the production call timeout (2 s), two attempts,
 * and a sweep that only runs when asked (very long interval, very old threshold) unless a test overrides it.
 * Only the calls a test stalls on purpose may time out: every other call of the saga (the undo's release and
 * refund) must finish within its budget even on a loaded machine, or the sale is rightly left PENDING for the
 * sweep and the test would see that instead of the undo it checks. (300 ms was too short for that under load.)
 */
export const faultSales = { SERVICE_TIMEOUT_MS: '2000', SERVICE_RETRY_ATTEMPTS: '2', SWEEP_INTERVAL_MS: '3600000', SWEEP_AGE_MS: '3600000' };
/** An instance that sweeps often, taking pending sales older than 5.5 s (about the shortest its timeouts allow). */
export const sweepingSales = { SERVICE_TIMEOUT_MS: '1000', SERVICE_RETRY_ATTEMPTS: '1', SWEEP_INTERVAL_MS: '200', SWEEP_AGE_MS: '5500' };

export const startSales = (env: Record<string, string>) => startInstance('sales', env);

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The one sale attempt a test's customer made. */
export async function onlySale(customerId: string) {
  const rows = await salesOf(customerId);
  if (rows.length !== 1) throw new Error(`expected one sale of ${customerId}, found ${rows.length}`);
  return rows[0]!;
}
