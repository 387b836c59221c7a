// Contract v4 on POST /sales: an ended session never pays, a purchase that cannot be paid or is too large holds no
// stock, and purchase attempts are limited per customer.
import crypto from 'node:crypto';
import { admin, api, bearer, expectProblem, newCustomer, sql } from '@shop/testkit';
import { balanceOf, buy, buyerAndItem, newItem, salesOf, startSales, stockOf, waitFor } from './support/shop';

/** The item's stock movements other than its initial stock (what a purchase attempt may leave behind). */
const movementsOf = async (itemId: string) => {
  const { auth } = await admin();
  const res = await api('inventory').get(`/items/${itemId}/stock-movements`).set(auth);
  expect(res.status).toBe(200);
  return (res.body.data as Array<{ kind: string }>).filter((movement) => movement.kind !== 'initial');
};

describe('POST /sales by an ended session', () => {
  it('answers 401 after a logout, with the still-unexpired access token, and charges nothing', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 1000, stockCount: 5, priceCents: 100 });
    const login = await api('customers').post('/auth/login').send({ username: customer.username, password: customer.password });
    expect(login.status).toBe(200);
    expect((await api('customers').post('/auth/logout').send({ refreshToken: login.body.refreshToken })).status).toBe(204);

    const res = await api('sales').post('/sales').set(bearer(login.body.accessToken)).send({ itemId: item.id });
    expectProblem(res, 401, 'unauthorized');
    expect(await balanceOf(customer)).toBe(1000);
    expect(await stockOf(item.id)).toBe(5);
    const [sale] = await salesOf(customer.id);
    expect(sale).toMatchObject({ status: 'FAILED', failure_reason: 'session_ended' });
    const [reservation] = await sql('inventory', 'SELECT state::text FROM stock_reservations WHERE reference = $1', [sale!.id]);
    expect(reservation.state).toBe('released');
    // The customer's other session (the factory's login) still buys.
    expect((await buy(customer, item.id)).status).toBe(201);
  });

  it('answers 401 after every session ended (DELETE /customers/:username/sessions)', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 1000, stockCount: 5, priceCents: 100 });
    expect((await api('customers').delete(`/customers/${customer.username}/sessions`).set(customer.auth)).status).toBe(204);
    // Sales itself may refuse the token already (the verifiers' ended-sessions feed) or leave it to the debit: 401 either way.
    expectProblem(await buy(customer, item.id), 401, 'unauthorized');
    expect(await balanceOf({ ...customer, auth: (await admin()).auth })).toBe(1000);
    expect(await stockOf(item.id)).toBe(5);
  });
});

describe('POST /sales refused before anything is reserved', () => {
  it('answers 402 for a basket the balance cannot cover, with no stock movement', async () => {
    const customer = await newCustomer({ balanceCents: 500 });
    const [a, b] = await Promise.all([newItem({ priceCents: 300, stockCount: 5 }), newItem({ priceCents: 300, stockCount: 5 })]);
    const res = await api('sales')
      .post('/sales')
      .set(customer.auth)
      .send({ lines: [{ itemId: a.id }, { itemId: b.id }] });
    expectProblem(res, 402, 'insufficient_funds');
    expect(await movementsOf(a.id)).toEqual([]);
    expect(await movementsOf(b.id)).toEqual([]);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([5, 5]);
    expect(await balanceOf(customer)).toBe(500);
  });

  it('answers 422 total_too_large above 100000000000 cents, before the balance check, with nothing reserved', async () => {
    const customer = await newCustomer();
    const [a, b] = await Promise.all([newItem({ priceCents: 100_000_000, stockCount: 1000 }), newItem({ priceCents: 1, stockCount: 5 })]);
    const res = await api('sales')
      .post('/sales')
      .set(customer.auth)
      .send({ lines: [{ itemId: a.id, quantity: 1000 }, { itemId: b.id }] });
    expectProblem(res, 422, 'total_too_large');
    expect(await movementsOf(a.id)).toEqual([]);
    expect(await stockOf(a.id)).toBe(1000);
    expect(await salesOf(customer.id)).toEqual([expect.objectContaining({ status: 'FAILED', failure_reason: 'total_too_large' })]);
  });

  it('lets a total of exactly 100000000000 cents through to the balance check (and the wallet accepts it)', async () => {
    const customer = await newCustomer();
    const { auth } = await admin();
    const adjusted = await api('customers')
      .post(`/customers/${customer.username}/wallet/adjustments`)
      .set(auth)
      .send({ amountCents: 100_000_000_000, reason: 'test: the largest purchase' });
    expect(adjusted.status).toBe(201);
    const item = await newItem({ priceCents: 100_000_000, stockCount: 1000 });
    const res = await buy(customer, item.id, 1000);
    expect(res.status).toBe(201);
    expect(res.body.totalCents).toBe(100_000_000_000);
    expect(await balanceOf(customer)).toBe(0);
  });
});

describe('PURCHASES_PER_MINUTE', () => {
  /** Waits, if need be, for a minute that has room for the test's attempts (the counter's windows are whole minutes). */
  async function freshMinute() {
    const [row] = await sql('sales', 'SELECT extract(second FROM now())::float AS second');
    if (row.second > 45) await new Promise((resolve) => setTimeout(resolve, (61 - row.second) * 1000));
  }

  it('refuses attempts past the limit with 429 and Retry-After, writing nothing more', async () => {
    const limited = await startSales({ PURCHASES_PER_MINUTE: '3' });
    const { customer, item } = await buyerAndItem({ balanceCents: 150, stockCount: 10, priceCents: 100 });
    await freshMinute();
    const buyThere = () => api(limited.url).post('/sales').set(customer.auth).send({ itemId: item.id });
    // Refused attempts count too: a 201 and two 402s use up the limit.
    expect([(await buyThere()).status, (await buyThere()).status, (await buyThere()).status]).toEqual([201, 402, 402]);
    for (let i = 0; i < 5; i++) {
      const res = await buyThere();
      expectProblem(res, 429, 'rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect(await salesOf(customer.id)).toHaveLength(3);
    expect(await sql('sales', 'SELECT attempts FROM purchase_attempts WHERE customer_id = $1', [customer.id])).toEqual([{ attempts: 3 }]);
    // Another customer has a limit of their own.
    const other = await newCustomer({ balanceCents: 100 });
    expect((await api(limited.url).post('/sales').set(other.auth).send({ itemId: item.id })).status).toBe(201);
    await limited.stop();
  });

  it('lets no more than the limit through when the attempts arrive at once', async () => {
    const limited = await startSales({ PURCHASES_PER_MINUTE: '4' });
    const { customer, item } = await buyerAndItem({ balanceCents: 10_000, stockCount: 20, priceCents: 100 });
    await freshMinute();
    const answers = await Promise.all(Array.from({ length: 12 }, () => api(limited.url).post('/sales').set(customer.auth).send({ itemId: item.id })));
    expect(answers.filter((res) => res.status === 201)).toHaveLength(4);
    expect(answers.filter((res) => res.status === 429)).toHaveLength(8);
    expect(await stockOf(item.id)).toBe(16);
    expect(await sql('sales', 'SELECT attempts FROM purchase_attempts WHERE customer_id = $1', [customer.id])).toEqual([{ attempts: 4 }]);
    await limited.stop();
  });

  it('purges ended windows (the recovery sweep)', async () => {
    const customerId = crypto.randomUUID();
    await sql(
      'sales',
      "INSERT INTO purchase_attempts (customer_id, window_start, attempts) VALUES ($1, date_trunc('minute', now()) - interval '5 minutes', 7)",
      [customerId],
    );
    // The run's sales sweeps every SWEEP_INTERVAL_MS (10 s by default).
    await waitFor(async () => (await sql('sales', 'SELECT 1 FROM purchase_attempts WHERE customer_id = $1', [customerId])).length === 0, 45_000, 'the purge');
  });
});
