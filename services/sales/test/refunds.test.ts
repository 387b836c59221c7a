// POST/GET /sales/:id/refunds through the real services: amounts, what is left, who may refund what, restock,
// the window, concurrency and idempotency. Faults are in refunds-faults.test.ts.
import crypto from 'node:crypto';
import { admin, api, expectProblem, newCustomer, serviceAuth, sql } from '@shop/testkit';
import { balanceOf, newItem, stockOf } from './support/shop';

type Line = { itemId: string; quantity: number };
const refund = (who: { auth: { Authorization: string } }, saleId: string, body: object = {}, key?: string) => {
  const req = api('sales').post(`/sales/${saleId}/refunds`).set(who.auth);
  return (key ? req.set('Idempotency-Key', key) : req).send(body);
};
const sale = async (who: { auth: { Authorization: string } }, id: string) => (await api('sales').get(`/sales/${id}`).set(who.auth)).body;

/** A customer who bought a basket: item A (price 100) × 3 and item B (price 250) × 2. */
async function boughtBasket() {
  const customer = await newCustomer({ balanceCents: 10_000 });
  const [a, b] = await Promise.all([newItem({ priceCents: 100, stockCount: 10 }), newItem({ priceCents: 250, stockCount: 10 })]);
  const res = await api('sales')
    .post('/sales')
    .set(customer.auth)
    .send({
      lines: [
        { itemId: a.id, quantity: 3 },
        { itemId: b.id, quantity: 2 },
      ],
    });
  expect(res.status).toBe(201);
  return { customer, a, b, saleId: res.body.id as string };
}

const refundLedger = (refundId: string) =>
  sql<{ type: string; amount: number }>('customers', 'SELECT type::text, amount_cents::int AS amount FROM ledger_entries WHERE reference = $1', [refundId]);
const returns = (refundId: string) =>
  sql<{ item_id: string; delta: number }>(
    'inventory',
    `SELECT item_id::text, delta FROM stock_movements WHERE reference = $1 AND kind = 'return' ORDER BY item_id`,
    [refundId],
  );

describe('POST /sales/:id/refunds', () => {
  it('refunds all that is left without lines: money to the wallet, units to stock, the sale refunded', async () => {
    const { customer, a, b, saleId } = await boughtBasket();
    expect(await balanceOf(customer)).toBe(9_200);
    const res = await refund(customer, saleId, { reason: 'changed my mind' });

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/sales/${saleId}/refunds`);
    expect(res.body).toEqual({
      id: expect.any(String),
      saleId,
      lines: [
        { itemId: a.id, quantity: 3, amountCents: 300 },
        { itemId: b.id, quantity: 2, amountCents: 500 },
      ],
      amountCents: 800,
      reason: 'changed my mind',
      restocked: true,
      createdAt: expect.any(String),
    });
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await refundLedger(res.body.id)).toEqual([{ type: 'refund', amount: 800 }]);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 10]);
    expect((await returns(res.body.id)).map((m) => m.delta).sort()).toEqual([2, 3]);
    expect(await sale(customer, saleId)).toMatchObject({
      status: 'refunded',
      refundedCents: 800,
      totalCents: 800,
      lines: [expect.objectContaining({ refundedQuantity: 3 }), expect.objectContaining({ refundedQuantity: 2 })],
    });
    expect((await api('sales').get(`/sales/${saleId}/refunds`).set(customer.auth)).body).toEqual({
      data: [res.body],
      total: 1,
      totalIsEstimate: false,
      limit: 20,
      offset: 0,
      nextCursor: null,
    });
    // Its refund.completed event was recorded with the completion, carrying the refund as answered.
    expect(await sql('sales', `SELECT data FROM outbox_events WHERE type = 'refund.completed' AND data->>'id' = $1`, [res.body.id])).toEqual([
      { data: res.body },
    ]);
    // Nothing is left: a second refund is a conflict, and nothing moves.
    expectProblem(await refund(customer, saleId), 409, 'conflict');
    expect(await balanceOf(customer)).toBe(10_000);
  });

  it('refunds part, then a second part, at the price paid; more than is left is 409 naming the line', async () => {
    const { customer, a, b, saleId } = await boughtBasket();
    // The price changes after the sale: refunds pay back what was paid.
    await api('inventory')
      .patch(`/items/${a.id}`)
      .set((await admin()).auth)
      .send({ priceCents: 999 })
      .expect(200);

    const first = await refund(customer, saleId, { lines: [{ itemId: a.id, quantity: 1 }] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ amountCents: 100, lines: [{ itemId: a.id, quantity: 1, amountCents: 100 }], reason: null });
    expect(await sale(customer, saleId)).toMatchObject({ status: 'partially_refunded', refundedCents: 100 });

    const second = await refund(customer, saleId, {
      lines: [
        { itemId: b.id, quantity: 1 },
        { itemId: a.id, quantity: 2 },
      ],
    });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({
      amountCents: 450,
      lines: [
        { itemId: b.id, quantity: 1, amountCents: 250 },
        { itemId: a.id, quantity: 2, amountCents: 200 },
      ],
    });

    const tooMuch = await refund(customer, saleId, { lines: [{ itemId: b.id, quantity: 2 }] });
    expectProblem(tooMuch, 409, 'conflict');
    expect(tooMuch.body.errors).toEqual([{ path: 'lines.0.quantity', message: expect.any(String) }]);
    const notInSale = await refund(customer, saleId, { lines: [{ itemId: crypto.randomUUID(), quantity: 1 }] });
    expectProblem(notInSale, 409, 'conflict');
    expect(notInSale.body.errors).toEqual([{ path: 'lines.0.itemId', message: expect.any(String) }]);

    expect(await sale(customer, saleId)).toMatchObject({
      status: 'partially_refunded',
      refundedCents: 550,
      lines: [expect.objectContaining({ refundedQuantity: 3 }), expect.objectContaining({ refundedQuantity: 1 })],
    });
    expect(await balanceOf(customer)).toBe(9_200 + 550);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 9]);
    const list = (await api('sales').get(`/sales/${saleId}/refunds`).set(customer.auth)).body;
    expect(list.data.map((r: { id: string }) => r.id)).toEqual([first.body.id, second.body.id]);
  });

  it('lets an admin refund without restocking, and refuses that to the customer (403, nothing recorded)', async () => {
    const { customer, a, saleId } = await boughtBasket();
    expectProblem(await refund(customer, saleId, { lines: [{ itemId: a.id, quantity: 1 }], restock: false }), 403, 'forbidden');
    expect(await sql('sales', 'SELECT 1 FROM refunds WHERE sale_id = $1', [saleId])).toEqual([]);

    const res = await refund(await admin(), saleId, { lines: [{ itemId: a.id, quantity: 1 }], restock: false, reason: 'damaged, thrown away' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ restocked: false, amountCents: 100 });
    expect(await stockOf(a.id)).toBe(7);
    expect(await returns(res.body.id)).toEqual([]);
    expect(await balanceOf(customer)).toBe(9_300);
  });

  it('refuses the owner past the refund window (403) while an admin may still refund', async () => {
    const { customer, saleId } = await boughtBasket();
    await sql('sales', `UPDATE sales SET created_at = now() - interval '31 days' WHERE id = $1`, [saleId]);
    expectProblem(await refund(customer, saleId), 403, 'forbidden');
    const res = await refund(await admin(), saleId);
    expect(res.status).toBe(201);
    expect(res.body.amountCents).toBe(800);
    expect(await balanceOf(customer)).toBe(10_000);
  });

  it("answers 404 for another customer's sale, an unknown sale and a failed one, and moves nothing", async () => {
    const { customer, saleId } = await boughtBasket();
    const other = await newCustomer();
    expectProblem(await refund(other, saleId), 404, 'not_found');
    expectProblem(await api('sales').get(`/sales/${saleId}/refunds`).set(other.auth), 404, 'not_found');
    expectProblem(await refund(customer, crypto.randomUUID()), 404, 'not_found');
    const item = await newItem({ stockCount: 1 });
    await api('sales').post('/sales').set(customer.auth).send({ itemId: item.id, quantity: 2 }); // 409: a failed sale
    const [failed] = await sql('sales', `SELECT id::text FROM sales WHERE customer_id = $1 AND status = 'FAILED'`, [customer.id]);
    expectProblem(await refund(customer, failed.id), 404, 'not_found');
    expect(await balanceOf(customer)).toBe(9_200);
  });

  it.each<[string, (line: Line) => object]>([
    ['an unknown field', () => ({ amountCents: 1 })],
    ['an empty lines list', () => ({ lines: [] })],
    ['quantity 0', (line) => ({ lines: [{ ...line, quantity: 0 }] })],
    ['an item twice', (line) => ({ lines: [line, { ...line, itemId: line.itemId.toUpperCase() }] })],
    ['a reason over 500 characters', () => ({ reason: 'r'.repeat(501) })],
    ['restock not a boolean', () => ({ restock: 'no' })],
  ])('answers 400 for %s', async (_name, body) => {
    const { customer, a, saleId } = await boughtBasket();
    expectProblem(await refund(customer, saleId, body({ itemId: a.id, quantity: 1 })), 400, 'validation_failed');
    expectProblem(await refund(customer, 'not-a-uuid'), 400, 'validation_failed');
    expect(await sql('sales', 'SELECT 1 FROM refunds WHERE sale_id = $1', [saleId])).toEqual([]);
  });

  it('refunds each unit at most once under 20 concurrent refund requests of one sale', async () => {
    const customer = await newCustomer({ balanceCents: 10_000 });
    const item = await newItem({ priceCents: 70, stockCount: 10 });
    const bought = await api('sales').post('/sales').set(customer.auth).send({ itemId: item.id, quantity: 10 });
    expect(await stockOf(item.id)).toBe(0);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refund(customer, bought.body.id, { lines: [{ itemId: item.id, quantity: 1 }] })));
    expect(answers.map((res) => res.status).sort()).toEqual([...Array(10).fill(201), ...Array(10).fill(409)]);
    expect(await sale(customer, bought.body.id)).toMatchObject({
      status: 'refunded',
      refundedCents: 700,
      lines: [expect.objectContaining({ refundedQuantity: 10 })],
    });
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await stockOf(item.id)).toBe(10);
    const [{ n }] = await sql('customers', `SELECT count(*)::int AS n FROM ledger_entries WHERE customer_id = $1 AND type = 'refund'`, [customer.id]);
    expect(n).toBe(10);
  });

  it('replays a refund under its Idempotency-Key (refunding once) and answers 422 for another body', async () => {
    const { customer, a, saleId } = await boughtBasket();
    const body = { lines: [{ itemId: a.id, quantity: 1 }] };
    const first = await refund(customer, saleId, body, 'refund-1');
    expect(first.status).toBe(201);
    const again = await refund(customer, saleId, body, 'refund-1');
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expectProblem(await refund(customer, saleId, { lines: [{ itemId: a.id, quantity: 2 }] }, 'refund-1'), 422, 'idempotency_key_reused');
    expect(await balanceOf(customer)).toBe(9_300);
    // A refused refund's answer is kept under its key too.
    const refused = await refund(customer, saleId, { lines: [{ itemId: a.id, quantity: 9 }] }, 'refund-2');
    expectProblem(refused, 409, 'conflict');
    const replayed = await refund(customer, saleId, { lines: [{ itemId: a.id, quantity: 9 }] }, 'refund-2');
    expectProblem(replayed, 409, 'conflict');
    expect(replayed.headers['idempotent-replayed']).toBe('true');
  });
});

describe('GET /sales filters', () => {
  it('filters by status, item and creation time, and combines them', async () => {
    const customer = await newCustomer({ balanceCents: 10_000 });
    const [a, b] = await Promise.all([newItem({ priceCents: 10 }), newItem({ priceCents: 10 })]);
    const buy = async (lines: Line[]) => (await api('sales').post('/sales').set(customer.auth).send({ lines })).body as { id: string; createdAt: string };
    const s1 = await buy([{ itemId: a.id, quantity: 2 }]);
    const s2 = await buy([
      { itemId: a.id, quantity: 1 },
      { itemId: b.id, quantity: 1 },
    ]);
    const s3 = await buy([{ itemId: b.id, quantity: 1 }]);
    await refund(customer, s1.id, { lines: [{ itemId: a.id, quantity: 1 }] }).expect(201);
    await refund(customer, s3.id).expect(201);
    const ids = async (query: string) => (await api('sales').get(`/sales?${query}`).set(customer.auth)).body.data.map((s: { id: string }) => s.id);

    expect(await ids('status=completed')).toEqual([s2.id]);
    expect(await ids('status=partially_refunded')).toEqual([s1.id]);
    expect(await ids('status=refunded')).toEqual([s3.id]);
    expect(await ids(`itemId=${a.id}`)).toEqual([s2.id, s1.id]);
    expect(await ids(`itemId=${b.id}&status=refunded`)).toEqual([s3.id]);
    // from is inclusive, to exclusive.
    expect(await ids(`from=${s2.createdAt}`)).toEqual([s3.id, s2.id]);
    expect(await ids(`to=${s2.createdAt}`)).toEqual([s1.id]);
    expect(await ids(`from=${s2.createdAt}&to=${s3.createdAt}`)).toEqual([s2.id]);
    expect((await api('sales').get(`/sales?itemId=${a.id}`).set(customer.auth)).body.total).toBe(2);
    // An admin's filters combine with ?username=.
    expect(
      (
        await api('sales')
          .get(`/sales?username=${customer.username}&status=refunded`)
          .set((await admin()).auth)
      ).body.data.map((s: { id: string }) => s.id),
    ).toEqual([s3.id]);
    for (const bad of ['status=pending', 'itemId=x', 'from=yesterday', 'to=2026-13-01T00:00:00Z']) {
      expectProblem(await api('sales').get(`/sales?${bad}`).set(customer.auth), 400, 'validation_failed');
    }
  });
});

describe('verifiedPurchase after a refund', () => {
  it('counts a purchase only while its line is not fully refunded (asked again on edit)', async () => {
    const customer = await newCustomer({ balanceCents: 10_000 });
    const item = await newItem({ priceCents: 10 });
    const bought = (await api('sales').post('/sales').set(customer.auth).send({ itemId: item.id, quantity: 2 })).body;
    const purchased = async () =>
      (await api('sales').get(`/internal/purchases?customerId=${customer.id}&itemId=${item.id}`).set(serviceAuth('sales'))).body.purchased;
    const review = await api('reviews').post('/reviews').set(customer.auth).send({ itemId: item.id, rating: 5 });
    expect(review.body.verifiedPurchase).toBe(true);

    await refund(customer, bought.id, { lines: [{ itemId: item.id, quantity: 1 }] }).expect(201);
    expect(await purchased()).toBe(true);
    await refund(customer, bought.id).expect(201);
    expect(await purchased()).toBe(false);
    const edited = await api('reviews').patch(`/reviews/${review.body.id}`).set(customer.auth).send({ rating: 4 });
    expect(edited.body.verifiedPurchase).toBe(false);
  });
});
