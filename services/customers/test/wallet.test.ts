import crypto from 'node:crypto';
import { admin, api, expectProblem, newCustomer, serviceAuth, sessionIdOf, sql, unique } from '@shop/testkit';

const deposit = (c: { username: string; auth: { Authorization: string } }, amountCents: unknown) =>
  api('customers').post(`/customers/${c.username}/wallet/deposits`).set(c.auth).send({ amountCents });
const debit = (body: { customerId: string; amountCents: number; reference: string; sessionId: string }) =>
  api('customers').post('/internal/wallet/debits').set(serviceAuth('customers')).send(body);
const refund = (body: { customerId: string; reference: string }) => api('customers').post('/internal/wallet/refunds').set(serviceAuth('customers')).send(body);

async function balanceOf(c: { username: string; auth: { Authorization: string } }) {
  return (await api('customers').get(`/customers/${c.username}`).set(c.auth)).body.balanceCents as number;
}

/** The invariant the database keeps: the balance is the sum of the ledger, and never negative. */
async function expectBooksBalanced(customerId: string) {
  const [row] = await sql(
    'customers',
    `SELECT c.balance_cents::int AS balance, coalesce(sum(l.amount_cents), 0)::int AS ledger
     FROM customers c LEFT JOIN ledger_entries l ON l.customer_id = c.id WHERE c.id = $1 GROUP BY c.id`,
    [customerId],
  );
  expect(row.balance).toBe(row.ledger);
  expect(row.balance).toBeGreaterThanOrEqual(0);
  return row.balance as number;
}

describe('POST /customers/:username/wallet/deposits', () => {
  it('adds money and records a deposit in the ledger', async () => {
    const c = await newCustomer();
    const res = await deposit(c, 2500);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      balanceCents: 2500,
      transaction: { id: expect.any(String), type: 'deposit', amountCents: 2500, balanceAfterCents: 2500, reference: null, createdAt: expect.any(String) },
    });
    expect(res.headers.location).toBe(`/customers/${c.username}/wallet/transactions/${res.body.transaction.id}`);
    const entry = await api('customers').get(res.headers.location!).set(c.auth);
    expect(entry.body).toEqual(res.body.transaction);
    expect(await balanceOf(c)).toBe(2500);
    await expectBooksBalanced(c.id);
  });

  it.each([0, -5, 1.5, 100_000_001, '100', null])('rejects amountCents = %j', async (amount) => {
    const c = await newCustomer();
    expectProblem(await deposit(c, amount), 400, 'validation_failed');
    expect(await balanceOf(c)).toBe(0);
  });

  it('accepts the largest single deposit', async () => {
    const c = await newCustomer();
    expect((await deposit(c, 100_000_000)).status).toBe(201);
  });

  it("refuses a deposit into another customer's wallet", async () => {
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    expectProblem(await api('customers').post(`/customers/${b.username}/wallet/deposits`).set(a.auth).send({ amountCents: 1 }), 403, 'forbidden');
  });

  it('lets an admin deposit for a customer', async () => {
    const c = await newCustomer();
    const res = await api('customers')
      .post(`/customers/${c.username}/wallet/deposits`)
      .set((await admin()).auth)
      .send({ amountCents: 700 });
    expect(res.status).toBe(201);
    expect(await balanceOf(c)).toBe(700);
  });

  it('answers not_found for an unknown customer and 401 without a token', async () => {
    expectProblem(
      await api('customers')
        .post(`/customers/${unique('ghost')}/wallet/deposits`)
        .set((await admin()).auth)
        .send({ amountCents: 1 }),
      404,
      'not_found',
    );
    expectProblem(
      await api('customers')
        .post(`/customers/${unique('ghost')}/wallet/deposits`)
        .send({ amountCents: 1 }),
      401,
      'unauthorized',
    );
  });

  it('loses nothing under concurrent deposits', async () => {
    const c = await newCustomer();
    const results = await Promise.all(Array.from({ length: 25 }, () => deposit(c, 100)));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(await balanceOf(c)).toBe(2500);
    const after = results.map((r) => r.body.transaction.balanceAfterCents).sort((x, y) => x - y);
    expect(after).toEqual(Array.from({ length: 25 }, (_, i) => (i + 1) * 100));
    await expectBooksBalanced(c.id);
  });
});

describe('GET /customers/:username/wallet/transactions', () => {
  it('lists the ledger newest first, paginated', async () => {
    const c = await newCustomer();
    for (const amount of [100, 200, 300]) await deposit(c, amount).expect(201);
    const res = await api('customers').get(`/customers/${c.username}/wallet/transactions`).query({ limit: 2 }).set(c.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(res.body.data.map((t: { amountCents: number }) => t.amountCents)).toEqual([300, 200]);
    const rest = await api('customers').get(`/customers/${c.username}/wallet/transactions`).query({ limit: 2, offset: 2 }).set(c.auth);
    expect(rest.body.data.map((t: { amountCents: number }) => t.amountCents)).toEqual([100]);
  });

  it('shows purchases as negative and refunds as positive, with the sale id as reference', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const reference = crypto.randomUUID();
    await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 400, reference }).expect(201);
    await refund({ customerId: c.id, reference }).expect(200);
    const res = await api('customers').get(`/customers/${c.username}/wallet/transactions`).set(c.auth);
    expect(
      res.body.data.map((t: { type: string; amountCents: number; balanceAfterCents: number; reference: string | null }) => [
        t.type,
        t.amountCents,
        t.balanceAfterCents,
        t.reference,
      ]),
    ).toEqual([
      ['refund', 400, 1000, reference],
      ['purchase', -400, 600, reference],
      ['deposit', 1000, 1000, null],
    ]);
  });

  it('is only for the customer and admins', async () => {
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    expectProblem(await api('customers').get(`/customers/${b.username}/wallet/transactions`).set(a.auth), 403, 'forbidden');
    expect(
      (
        await api('customers')
          .get(`/customers/${b.username}/wallet/transactions`)
          .set((await admin()).auth)
      ).status,
    ).toBe(200);
    expectProblem(await api('customers').get(`/customers/${b.username}/wallet/transactions`), 401, 'unauthorized');
  });

  it('answers not_found for a transaction of someone else', async () => {
    const [a, b] = await Promise.all([newCustomer({ balanceCents: 10 }), newCustomer()]);
    const [entry] = (await api('customers').get(`/customers/${a.username}/wallet/transactions`).set(a.auth)).body.data;
    expectProblem(await api('customers').get(`/customers/${b.username}/wallet/transactions/${entry.id}`).set(b.auth), 404, 'not_found');
  });
});

describe('the ledger in the database', () => {
  it('refuses to edit a ledger row', async () => {
    const c = await newCustomer({ balanceCents: 100 });
    await expect(sql('customers', 'UPDATE ledger_entries SET amount_cents = 1 WHERE customer_id = $1', [c.id])).rejects.toThrow(/append-only/);
  });

  it('refuses a negative balance', async () => {
    const c = await newCustomer();
    await expect(sql('customers', 'UPDATE customers SET balance_cents = -1 WHERE id = $1', [c.id])).rejects.toThrow(/balance_non_negative/);
  });
});

describe('POST /internal/wallet/debits', () => {
  it('charges the wallet once per reference', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const reference = crypto.randomUUID();
    const first = await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 300, reference });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ balanceCents: 700, transaction: { type: 'purchase', amountCents: -300, reference } });
    const again = await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 300, reference });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await balanceOf(c)).toBe(700);
  });

  it("gives the entry a time-ordered id (UUIDv7), so a purchase appends to the end of the ledger's key", async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const before = Date.now();
    const res = await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 10, reference: crypto.randomUUID() });
    const after = Date.now();
    expect(res.status).toBe(201);
    const id = res.body.transaction.id as string;
    // RFC 9562: version 7 in the 13th hex digit; the first 48 bits are the Unix time in milliseconds (uuid_v7() rounds
    // the insert's time to the nearest one, so it may read one past the millisecond the answer arrived in).
    expect(id[14]).toBe('7');
    const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(after + 1);
  });

  it('charges once when the same debit arrives many times at once', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const reference = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 15 }, () => debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 250, reference })),
    );
    expect(results.map((r) => r.status).sort((x, y) => x - y)).toEqual([...Array(14).fill(200), 201]);
    expect(await balanceOf(c)).toBe(750);
    await expectBooksBalanced(c.id);
  });

  it('never goes below zero under concurrent debits', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const results = await Promise.all(
      Array.from({ length: 30 }, () => debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 150, reference: crypto.randomUUID() })),
    );
    const charged = results.filter((r) => r.status === 201).length;
    expect(charged).toBe(6);
    expect(results.filter((r) => r.status === 402)).toHaveLength(24);
    expect(await balanceOf(c)).toBe(100);
    expect(await expectBooksBalanced(c.id)).toBe(100);
  });

  it('answers insufficient_funds and changes nothing', async () => {
    const c = await newCustomer({ balanceCents: 100 });
    expectProblem(
      await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 101, reference: crypto.randomUUID() }),
      402,
      'insufficient_funds',
    );
    expect(await balanceOf(c)).toBe(100);
  });

  it('refuses a reference reused for a different amount', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const reference = crypto.randomUUID();
    await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 100, reference }).expect(201);
    expectProblem(await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 200, reference }), 409, 'conflict');
    expect(await balanceOf(c)).toBe(900);
  });

  it('answers not_found for an unknown customer', async () => {
    expectProblem(
      await debit({ customerId: crypto.randomUUID(), sessionId: crypto.randomUUID(), amountCents: 1, reference: crypto.randomUUID() }),
      404,
      'not_found',
    );
  });

  it('rejects invalid bodies', async () => {
    const res = await api('customers').post('/internal/wallet/debits').set(serviceAuth('customers')).send({ customerId: 'x', amountCents: 0 });
    expectProblem(res, 400, 'validation_failed');
  });
});

describe('POST /internal/wallet/refunds', () => {
  it('gives a debit back once', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const reference = crypto.randomUUID();
    await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 600, reference }).expect(201);
    const first = await refund({ customerId: c.id, reference });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'refunded', transaction: { type: 'refund', amountCents: 600, balanceAfterCents: 1000 } });
    const again = await refund({ customerId: c.id, reference });
    expect(again.body).toMatchObject({ outcome: 'already_refunded', transaction: first.body.transaction });
    expect(await balanceOf(c)).toBe(1000);
    await expectBooksBalanced(c.id);
  });

  it('voids a reference that was never debited, so a late debit is refused', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const reference = crypto.randomUUID();
    const res = await refund({ customerId: c.id, reference });
    expect(res.body).toEqual({ outcome: 'voided' });
    expectProblem(await debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 100, reference }), 409, 'conflict');
    expect(await balanceOf(c)).toBe(1000);
  });

  it('lets an undo win against a debit racing it: the customer ends charged zero or refunded', async () => {
    const c = await newCustomer({ balanceCents: 5000 });
    const references = Array.from({ length: 20 }, () => crypto.randomUUID());
    await Promise.all(
      references.flatMap((reference) => [
        debit({ customerId: c.id, sessionId: sessionIdOf(c.token), amountCents: 100, reference }),
        refund({ customerId: c.id, reference }),
      ]),
    );
    // Whatever the order, each reference ends with no net charge.
    expect(await balanceOf(c)).toBe(5000);
    await expectBooksBalanced(c.id);
  });
});

describe('POST /internal/wallet/credits', () => {
  const credit = (body: object) => api('customers').post('/internal/wallet/credits').set(serviceAuth('customers')).send(body);

  it('credits a refund once per reference, as a refund entry', async () => {
    const c = await newCustomer({ balanceCents: 1000 });
    const reference = crypto.randomUUID();
    const first = await credit({ customerId: c.id, amountCents: 250, reference });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ balanceCents: 1250, transaction: { type: 'refund', amountCents: 250, balanceAfterCents: 1250, reference } });
    const again = await credit({ customerId: c.id, amountCents: 250, reference });
    expect(again.status).toBe(200);
    expect(again.body.transaction).toEqual(first.body.transaction);
    expect(await balanceOf(c)).toBe(1250);
    await expectBooksBalanced(c.id);
  });

  it('credits once under 10 concurrent credits of one reference', async () => {
    const c = await newCustomer({ balanceCents: 100 });
    const reference = crypto.randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => credit({ customerId: c.id, amountCents: 40, reference })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(await balanceOf(c)).toBe(140);
  });

  it('refuses the reference for another amount or customer (409) and an unknown customer (404)', async () => {
    const [c, d] = await Promise.all([newCustomer(), newCustomer()]);
    const reference = crypto.randomUUID();
    await credit({ customerId: c.id, amountCents: 100, reference }).expect(201);
    expectProblem(await credit({ customerId: c.id, amountCents: 101, reference }), 409, 'conflict');
    expectProblem(await credit({ customerId: d.id, amountCents: 100, reference }), 409, 'conflict');
    expectProblem(await credit({ customerId: crypto.randomUUID(), amountCents: 100, reference: crypto.randomUUID() }), 404, 'not_found');
    expectProblem(await credit({ customerId: c.id, amountCents: 0, reference }), 400, 'validation_failed');
    expect(await balanceOf(d)).toBe(0);
  });
});

describe('/internal/ routes', () => {
  it.each(['/internal/wallet/debits', '/internal/wallet/refunds', '/internal/wallet/credits'])('%s refuses anyone but a service', async (path) => {
    const c = await newCustomer();
    const body = { customerId: c.id, amountCents: 1, reference: crypto.randomUUID() };
    expectProblem(await api('customers').post(path).send(body), 401, 'unauthorized');
    expectProblem(await api('customers').post(path).set('Authorization', 'Bearer not-the-service-token-but-long-enough').send(body), 401, 'unauthorized');
    expectProblem(await api('customers').post(path).set(c.auth).send(body), 403, 'forbidden');
    expectProblem(
      await api('customers')
        .post(path)
        .set((await admin()).auth)
        .send(body),
      403,
      'forbidden',
    );
  });
});
