// Idempotency-Key: retries with the same key charge once and answer the same; keys are per customer.
import crypto from 'node:crypto';
import { api, expectProblem, newCustomer, sql, type TestCustomer } from '@shop/testkit';
import { balanceOf, buyerAndItem, ledgerFor, salesOf, stockOf } from './support/shop';

const buyWithKey = (customer: TestCustomer, key: string, body: object) => api('sales').post('/sales').set(customer.auth).set('Idempotency-Key', key).send(body);

describe('POST /sales with Idempotency-Key', () => {
  it('charges once for 20 concurrent requests with one key; every answer is the sale or 409 in use', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 10_000, stockCount: 50, priceCents: 100 });
    const key = crypto.randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => buyWithKey(customer, key, { itemId: item.id, quantity: 2 })));

    const created = answers.filter((res) => res.status === 201);
    const inUse = answers.filter((res) => res.status === 409);
    expect(created.length + inUse.length).toBe(20);
    expect(created.length).toBeGreaterThanOrEqual(1);
    inUse.forEach((res) => expectProblem(res, 409, 'idempotency_key_in_use'));
    const first = created[0]!;
    created.forEach((res) => {
      expect(res.body).toEqual(first.body);
      expect(res.headers.location).toBe(`/sales/${first.body.id}`);
    });
    expect(created.filter((res) => res.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);

    // One sale, one charge, one reservation.
    expect(await salesOf(customer.id)).toEqual([expect.objectContaining({ id: first.body.id, status: 'COMPLETED' })]);
    expect(await balanceOf(customer)).toBe(9_800);
    expect(await stockOf(item.id)).toBe(48);

    // Once done, the same key replays the stored answer exactly, with the replay header.
    const again = await buyWithKey(customer, key, { quantity: 2, itemId: item.id });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(JSON.stringify(first.body));
    expect(await balanceOf(customer)).toBe(9_800);
  });

  it('answers 422 idempotency_key_reused for the same key with a different body, and charges nothing more', async () => {
    const { customer, item } = await buyerAndItem({ stockCount: 5, priceCents: 100 });
    const key = crypto.randomUUID();
    expect((await buyWithKey(customer, key, { itemId: item.id })).status).toBe(201);
    expectProblem(await buyWithKey(customer, key, { itemId: item.id, quantity: 2 }), 422, 'idempotency_key_reused');
    expectProblem(await buyWithKey(customer, key, { itemId: crypto.randomUUID() }), 422, 'idempotency_key_reused');
    expect(await balanceOf(customer)).toBe(9_900);
    expect(await stockOf(item.id)).toBe(4);
  });

  it('treats an omitted quantity and quantity 1 as the same request', async () => {
    const { customer, item } = await buyerAndItem();
    const key = crypto.randomUUID();
    const first = await buyWithKey(customer, key, { itemId: item.id });
    const second = await buyWithKey(customer, key, { itemId: item.id, quantity: 1 });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
  });

  it('scopes keys per customer: the same key from two customers makes two purchases', async () => {
    const { customer: alice, item } = await buyerAndItem({ priceCents: 100 });
    const bob = await newCustomer({ balanceCents: 1000 });
    const key = crypto.randomUUID();
    const a = await buyWithKey(alice, key, { itemId: item.id });
    const b = await buyWithKey(bob, key, { itemId: item.id });
    expect([a.status, b.status]).toEqual([201, 201]);
    const aliceAgain = await buyWithKey(alice, key, { itemId: item.id });
    expect(aliceAgain.headers['idempotent-replayed']).toBe('true');
    expect(aliceAgain.body).toEqual(a.body);
    expect(a.body.id).not.toBe(b.body.id);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await balanceOf(bob)).toBe(900);
    expect(await stockOf(item.id)).toBe(8);
  });

  it('replays a final refusal (402) exactly, and the key stays bound to it', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 50, priceCents: 100 });
    const key = crypto.randomUUID();
    const first = await buyWithKey(customer, key, { itemId: item.id });
    expectProblem(first, 402, 'insufficient_funds');
    await api('customers').post(`/customers/${customer.username}/wallet/deposits`).set(customer.auth).send({ amountCents: 1000 });
    const replay = await buyWithKey(customer, key, { itemId: item.id });
    expectProblem(replay, 402, 'insufficient_funds');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await balanceOf(customer)).toBe(1050);
    expect(await stockOf(item.id)).toBe(10);
    // A new key is a new attempt, which now succeeds.
    expect((await buyWithKey(customer, crypto.randomUUID(), { itemId: item.id })).status).toBe(201);
  });

  it('stores the key for at least 24 hours, and lets an expired key be used afresh', async () => {
    const { customer, item } = await buyerAndItem({ priceCents: 100 });
    const key = crypto.randomUUID();
    const first = await buyWithKey(customer, key, { itemId: item.id });
    const [row] = await sql(
      'sales',
      'SELECT state::text, response_status, extract(epoch FROM expires_at - created_at)::int AS ttl FROM idempotency_keys WHERE customer_id = $1 AND key = $2',
      [customer.id, key],
    );
    expect(row).toEqual({ state: 'done', response_status: 201, ttl: 24 * 3600 });

    await sql('sales', `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE customer_id = $1 AND key = $2`, [customer.id, key]);
    const fresh = await buyWithKey(customer, key, { itemId: item.id, quantity: 2 });
    expect(fresh.status).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(fresh.body.id).not.toBe(first.body.id);
    expect(await balanceOf(customer)).toBe(10_000 - 300);
    expect(await ledgerFor(fresh.body.id)).toEqual([{ type: 'purchase', amount: -200 }]);
  });
});
