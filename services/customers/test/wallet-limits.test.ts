// Contract v4 on the wallet: the rolling 24 h deposit limit, admins' adjustments, debits only for a live session,
// and the balance sales reads before it reserves stock.
import crypto from 'node:crypto';
import { admin, api, bearer, expectProblem, newCustomer, serviceAuth, sessionIdOf as sid, sql, startInstance, type TestCustomer } from '@shop/testkit';

const debit = (body: { customerId: string; amountCents: number; reference: string; sessionId: string }) =>
  api('customers').post('/internal/wallet/debits').set(serviceAuth('customers')).send(body);

async function books(customerId: string) {
  const [row] = await sql(
    'customers',
    `SELECT c.balance_cents::bigint::text AS balance, coalesce(sum(l.amount_cents), 0)::bigint::text AS ledger
     FROM customers c LEFT JOIN ledger_entries l ON l.customer_id = c.id WHERE c.id = $1 GROUP BY c.id`,
    [customerId],
  );
  expect(row.ledger).toBe(row.balance);
  return Number(row.balance);
}

describe('DEPOSIT_LIMIT_CENTS_PER_DAY', () => {
  let limited: string;
  beforeAll(async () => {
    limited = (await startInstance('customers', { DEPOSIT_LIMIT_CENTS_PER_DAY: '1000' })).url;
  });
  const deposit = (c: TestCustomer, amountCents: number) => api(limited).post(`/customers/${c.username}/wallet/deposits`).set(c.auth).send({ amountCents });

  it('refuses a deposit past the limit over 24 h with 422 deposit_limit, and deposits nothing', async () => {
    const c = await newCustomer();
    expect((await deposit(c, 600)).status).toBe(201);
    expectProblem(await deposit(c, 401), 422, 'deposit_limit');
    expect(await books(c.id)).toBe(600);
    // Up to the limit exactly is fine; then even one cent is refused, for an admin's deposit too.
    expect((await deposit(c, 400)).status).toBe(201);
    expectProblem(
      await api(limited)
        .post(`/customers/${c.username}/wallet/deposits`)
        .set((await admin()).auth)
        .send({ amountCents: 1 }),
      422,
      'deposit_limit',
    );
    expect(await books(c.id)).toBe(1000);
  });

  it('counts only the last 24 hours, and only deposits', async () => {
    const c = await newCustomer();
    // A deposit of 25 hours ago (written straight into the ledger, with its balance) no longer counts.
    await sql(
      'customers',
      `WITH c AS (UPDATE customers SET balance_cents = balance_cents + 1000 WHERE id = $1 RETURNING id, balance_cents)
       INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, created_at)
       SELECT gen_random_uuid(), c.id, 'deposit', 1000, c.balance_cents, now() - interval '25 hours' FROM c`,
      [c.id],
    );
    expect((await deposit(c, 1000)).status).toBe(201);
    expectProblem(await deposit(c, 1), 422, 'deposit_limit');
    expect(await books(c.id)).toBe(2000);
  });

  it('lets only as many concurrent deposits through as fit under the limit', async () => {
    const c = await newCustomer();
    const answers = await Promise.all(Array.from({ length: 10 }, () => deposit(c, 300)));
    expect(answers.filter((res) => res.status === 201)).toHaveLength(3);
    expect(answers.filter((res) => res.status === 422)).toHaveLength(7);
    expect(await books(c.id)).toBe(900);
  });

  it('does not limit admin adjustments', async () => {
    const c = await newCustomer();
    const res = await api(limited)
      .post(`/customers/${c.username}/wallet/adjustments`)
      .set((await admin()).auth)
      .send({ amountCents: 5_000_000, reason: 'goodwill' });
    expect(res.status).toBe(201);
    expect((await deposit(c, 1000)).status).toBe(201);
    expect(await books(c.id)).toBe(5_001_000);
  });
});

describe('POST /customers/:username/wallet/adjustments', () => {
  const adjust = async (c: TestCustomer, body: unknown, auth?: Record<string, string>) =>
    api('customers')
      .post(`/customers/${c.username}/wallet/adjustments`)
      .set(auth ?? (await admin()).auth)
      .send(body as object);

  it('adds or takes money with a reason, as an adjustment entry the transactions list shows', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const up = await adjust(c, { amountCents: 2500, reason: 'Goodwill credit for a late delivery' });
    expect(up.status).toBe(201);
    expect(up.body).toEqual({
      balanceCents: 3500,
      transaction: {
        id: expect.any(String),
        type: 'adjustment',
        amountCents: 2500,
        balanceAfterCents: 3500,
        reference: null,
        reason: 'Goodwill credit for a late delivery',
        createdAt: expect.any(String),
      },
    });
    expect(up.headers.location).toBe(`/customers/${c.username}/wallet/transactions/${up.body.transaction.id}`);
    const down = await adjust(c, { amountCents: -3000, reason: 'Chargeback' });
    expect(down.status).toBe(201);
    expect(down.body.balanceCents).toBe(500);
    const list = await api('customers').get(`/customers/${c.username}/wallet/transactions`).set(c.auth);
    expect(list.body.data.map((t: { type: string; amountCents: number; reason?: string }) => [t.type, t.amountCents, t.reason])).toEqual([
      ['adjustment', -3000, 'Chargeback'],
      ['adjustment', 2500, 'Goodwill credit for a late delivery'],
      ['deposit', 1000, undefined],
    ]);
    expect(await books(c.id)).toBe(500);
  });

  it('refuses a result below zero with 402 and changes nothing', async () => {
    const c = await newCustomer({ balanceCents: 100 });
    expectProblem(await adjust(c, { amountCents: -101, reason: 'too much' }), 402, 'insufficient_funds');
    expect(await books(c.id)).toBe(100);
    expect((await adjust(c, { amountCents: -100, reason: 'all of it' })).body.balanceCents).toBe(0);
  });

  it.each([
    ['a zero amount', { amountCents: 0, reason: 'x' }],
    ['a fractional amount', { amountCents: 1.5, reason: 'x' }],
    ['no reason', { amountCents: 5 }],
    ['an empty reason', { amountCents: 5, reason: '' }],
    ['a reason of 201 characters', { amountCents: 5, reason: 'r'.repeat(201) }],
    ['an amount past the maximum', { amountCents: 100_000_000_001, reason: 'x' }],
    ['an unknown field', { amountCents: 5, reason: 'x', type: 'deposit' }],
  ])('answers 400 for %s', async (_what, body) => {
    const c = await newCustomer();
    expectProblem(await adjust(c, body), 400, 'validation_failed');
    expect(await books(c.id)).toBe(0);
  });

  it('is for admins only: the customer gets 403, nobody 401', async () => {
    const c = await newCustomer();
    expectProblem(await adjust(c, { amountCents: 5, reason: 'me' }, c.auth), 403, 'forbidden');
    expectProblem(await api('customers').post(`/customers/${c.username}/wallet/adjustments`).send({ amountCents: 5, reason: 'x' }), 401, 'unauthorized');
    expect(await books(c.id)).toBe(0);
  });
});

describe('POST /internal/wallet/debits and the buyer session', () => {
  it('charges for a live session, and refuses (401 naming sessionId) once it has ended', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const login = await api('customers').post('/auth/login').send({ username: c.username, password: c.password });
    const sessionId = sid(login.body.accessToken);
    const before = crypto.randomUUID();
    expect((await debit({ customerId: c.id, amountCents: 100, reference: before, sessionId })).status).toBe(201);

    expect((await api('customers').post('/auth/logout').send({ refreshToken: login.body.refreshToken })).status).toBe(204);
    const res = await debit({ customerId: c.id, amountCents: 100, reference: crypto.randomUUID(), sessionId });
    expectProblem(res, 401, 'unauthorized');
    expect(res.body.errors).toEqual([{ path: 'sessionId', message: expect.any(String) }]);
    // A retry of the debit made while the session was live answers as before: nothing more is charged.
    expect((await debit({ customerId: c.id, amountCents: 100, reference: before, sessionId })).status).toBe(200);
    expect(await books(c.id)).toBe(900);
  });

  it("refuses another customer's session and an unknown one", async () => {
    const [c, d] = await Promise.all([newCustomer({ balanceCents: 1000 }), newCustomer()]);
    for (const sessionId of [sid(d.token), crypto.randomUUID()]) {
      expectProblem(await debit({ customerId: c.id, amountCents: 100, reference: crypto.randomUUID(), sessionId }), 401, 'unauthorized');
    }
    expect(await books(c.id)).toBe(1000);
  });

  it('refuses an expired session', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    await sql('customers', "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [sid(c.token)]);
    expectProblem(await debit({ customerId: c.id, amountCents: 100, reference: crypto.randomUUID(), sessionId: sid(c.token) }), 401, 'unauthorized');
    expect(await books(c.id)).toBe(1000);
  });

  it('either charges before a racing logout or is refused after it: never after the session ended', async () => {
    for (let round = 0; round < 5; round++) {
      const c = await newCustomer({ balanceCents: 1000 });
      const login = await api('customers').post('/auth/login').send({ username: c.username, password: c.password });
      const sessionId = sid(login.body.accessToken);
      const [charged] = await Promise.all([
        debit({ customerId: c.id, amountCents: 100, reference: crypto.randomUUID(), sessionId }),
        api('customers').post('/auth/logout').send({ refreshToken: login.body.refreshToken }),
      ]);
      expect([201, 401]).toContain(charged.status);
      expect(await books(c.id)).toBe(charged.status === 201 ? 900 : 1000);
      // After the logout has answered, the session is gone for good.
      expectProblem(await debit({ customerId: c.id, amountCents: 100, reference: crypto.randomUUID(), sessionId }), 401, 'unauthorized');
    }
  });
});

describe('GET /internal/customers/:id/balance', () => {
  const read = (id: string, auth = serviceAuth('customers')) => api('customers').get(`/internal/customers/${id}/balance`).set(auth);

  it("answers the customer's balance to sales", async () => {
    const c = await newCustomer({ balanceCents: 1234 });
    const res = await read(c.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ balanceCents: 1234 });
  });

  it('answers 404 for an unknown customer, 400 for a bad id, 403 to a customer and 401 to nobody', async () => {
    const c = await newCustomer();
    expectProblem(await read(crypto.randomUUID()), 404, 'not_found');
    expectProblem(await read('not-a-uuid'), 400, 'validation_failed');
    expectProblem(await read(c.id, c.auth), 403, 'forbidden');
    expectProblem(await read(c.id, bearer('not-the-service-token-but-long-enough')), 401, 'unauthorized');
  });
});
