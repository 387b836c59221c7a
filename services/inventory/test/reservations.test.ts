import crypto from 'node:crypto';
import { admin, api, deleteItem, expectProblem, newCustomer, newItem, serviceAuth, sql, stockOf, unique } from '@shop/testkit';
import { movementsSum, release, reserve, reserveLines } from './helpers';

let adminAuth: { Authorization: string };
beforeAll(async () => {
  adminAuth = (await admin()).auth;
});
const missingId = '00000000-0000-4000-8000-000000000000';
const reservationRow = async (reference: string) =>
  (
    await sql(
      'inventory',
      `SELECT r.state::text, l.item_id::text, l.quantity FROM stock_reservations r
       LEFT JOIN stock_reservation_lines l ON l.reference = r.reference WHERE r.reference = $1`,
      [reference],
    )
  )[0];

describe('POST /internal/stock/reservations', () => {
  it('takes the stock, answers 201 with the item name and price, and records the reservation and the movement', async () => {
    const item = await newItem({ stockCount: 5, priceCents: 750 });
    const reference = unique('sale-');
    const res = await reserve({ reference, itemId: item.id, quantity: 2 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ reference, lines: [{ itemId: item.id, quantity: 2, itemName: item.name, unitPriceCents: 750, stockCount: 3 }] });
    expect(await stockOf(item.id)).toBe(3);
    expect(await reservationRow(reference)).toEqual({ state: 'taken', item_id: item.id, quantity: 2 });
    // The movement's id is time-ordered (UUIDv7: a version digit of 7), so it lands at the end of the movements' key.
    const [movement] = await sql(
      'inventory',
      'SELECT kind::text, delta, stock_after, substr(id::text, 15, 1) AS version FROM stock_movements WHERE reference = $1',
      [reference],
    );
    expect(movement).toEqual({ kind: 'reservation', delta: -2, stock_after: 3, version: '7' });
    expect(await movementsSum(item.id)).toBe(3);
  });

  it('answers a repeat of the same reference with 200 and the same body, taking nothing more (even once stock ran out)', async () => {
    const item = await newItem({ stockCount: 2 });
    const reference = unique('sale-');
    const first = await reserve({ reference, itemId: item.id, quantity: 2 });
    expect(first.status).toBe(201);
    const again = await reserve({ reference, itemId: item.id, quantity: 2 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await stockOf(item.id)).toBe(0);
  });

  it('keeps the name and price of the moment of the take in a repeat answer', async () => {
    const item = await newItem({ stockCount: 5, priceCents: 100 });
    const reference = unique('sale-');
    const first = await reserve({ reference, itemId: item.id, quantity: 1 });
    await api('inventory').patch(`/items/${item.id}`).set(adminAuth).send({ priceCents: 999, name: 'Renamed' }).expect(200);
    const again = await reserve({ reference, itemId: item.id, quantity: 1 });
    expect(again.body).toEqual(first.body);
    expect(again.body.lines[0].unitPriceCents).toBe(100);
  });

  it('answers 409 conflict when the reference was used for another quantity or item', async () => {
    const item = await newItem({ stockCount: 5 });
    const other = await newItem({ stockCount: 5 });
    const reference = unique('sale-');
    await reserve({ reference, itemId: item.id, quantity: 1 }).expect(201);
    expectProblem(await reserve({ reference, itemId: item.id, quantity: 2 }), 409, 'conflict');
    expectProblem(await reserve({ reference, itemId: other.id, quantity: 1 }), 409, 'conflict');
    expect(await stockOf(item.id)).toBe(4);
    expect(await stockOf(other.id)).toBe(5);
  });

  it('answers 409 insufficient_stock when the stock is short, and records nothing', async () => {
    const item = await newItem({ stockCount: 2 });
    const reference = unique('sale-');
    expectProblem(await reserve({ reference, itemId: item.id, quantity: 3 }), 409, 'insufficient_stock');
    expect(await stockOf(item.id)).toBe(2);
    expect(await reservationRow(reference)).toBeUndefined();
    // Nothing was recorded, so the same reference can still take stock once there is enough.
    await api('inventory').post(`/items/${item.id}/stock-adjustments`).set(adminAuth).send({ delta: 1 }).expect(200);
    expect((await reserve({ reference, itemId: item.id, quantity: 3 })).status).toBe(201);
  });

  it('answers 404 for an unknown item and for a deleted one', async () => {
    expectProblem(await reserve({ reference: unique('sale-'), itemId: missingId, quantity: 1 }), 404, 'not_found');
    const item = await newItem({ stockCount: 5 });
    await deleteItem(item.id);
    const reference = unique('sale-');
    expectProblem(await reserve({ reference, itemId: item.id, quantity: 1 }), 404, 'not_found');
    expect(await stockOf(item.id)).toBe(5);
    expect(await reservationRow(reference)).toBeUndefined();
  });

  it.each([
    ['quantity 0', { quantity: 0 }],
    ['quantity 1001', { quantity: 1001 }],
    ['a fractional quantity', { quantity: 1.5 }],
    ['an empty reference', { reference: '' }],
    ['a reference over 255 characters', { reference: 'r'.repeat(256) }],
    ['a malformed item id', { itemId: 'nope' }],
    ['an unknown field', { unitPriceCents: 1 }],
  ])('refuses %s with 400', async (_case, overrides) => {
    const item = await newItem({ stockCount: 5 });
    expectProblem(await reserve({ reference: unique('sale-'), itemId: item.id, quantity: 1, ...overrides }), 400, 'validation_failed');
    expect(await stockOf(item.id)).toBe(5);
  });

  it('takes exactly the stock under 50 concurrent reservations of 1 unit on 10 in stock', async () => {
    const item = await newItem({ stockCount: 10 });
    const results = await Promise.all(Array.from({ length: 50 }, () => reserve({ reference: unique('sale-'), itemId: item.id, quantity: 1 })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    results.filter((r) => r.status !== 201).forEach((r) => expectProblem(r, 409, 'insufficient_stock'));
    expect(await stockOf(item.id)).toBe(0);
    const [{ count }] = await sql(
      'inventory',
      `SELECT count(*)::int AS count FROM stock_reservations r JOIN stock_reservation_lines l USING (reference) WHERE l.item_id = $1 AND r.state = 'taken'`,
      [item.id],
    );
    expect(count).toBe(10);
    expect(await movementsSum(item.id)).toBe(0);
  });

  it('takes stock once when the same reference arrives 10 times concurrently, and all answers agree', async () => {
    const item = await newItem({ stockCount: 10 });
    const reference = unique('sale-');
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve({ reference, itemId: item.id, quantity: 3 })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    results.forEach((r) => expect(r.body).toEqual(results[0]!.body));
    expect(await stockOf(item.id)).toBe(7);
    expect(await sql('inventory', 'SELECT 1 FROM stock_movements WHERE reference = $1', [reference])).toHaveLength(1);
  });
});

describe('POST /internal/stock/reservations with several lines', () => {
  it('takes every line in one go and answers them in the order sent; a release gives every line back', async () => {
    const [a, b, c] = await Promise.all([newItem({ stockCount: 5, priceCents: 100 }), newItem({ stockCount: 5, priceCents: 200 }), newItem({ stockCount: 5 })]);
    const reference = unique('sale-');
    const res = await reserveLines({
      reference,
      lines: [
        { itemId: c.id, quantity: 1 },
        { itemId: a.id, quantity: 2 },
        { itemId: b.id, quantity: 3 },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.lines.map((line: { itemId: string; quantity: number; stockCount: number }) => [line.itemId, line.quantity, line.stockCount])).toEqual([
      [c.id, 1, 4],
      [a.id, 2, 3],
      [b.id, 3, 2],
    ]);
    const replay = await reserveLines({
      reference,
      lines: [
        { itemId: c.id, quantity: 1 },
        { itemId: a.id, quantity: 2 },
        { itemId: b.id, quantity: 3 },
      ],
    });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(res.body);
    expectProblem(
      await reserveLines({
        reference,
        lines: [
          { itemId: c.id, quantity: 1 },
          { itemId: a.id, quantity: 2 },
        ],
      }),
      409,
      'conflict',
    );
    expect((await release(reference)).body).toEqual({ outcome: 'released' });
    for (const item of [a, b, c]) {
      expect(await stockOf(item.id)).toBe(5);
      expect(await movementsSum(item.id)).toBe(5);
    }
  });

  it('takes nothing when one line is short, and names every short line', async () => {
    const [a, b, c] = await Promise.all([newItem({ stockCount: 5 }), newItem({ stockCount: 1 }), newItem({ stockCount: 0 })]);
    const reference = unique('sale-');
    const res = await reserveLines({
      reference,
      lines: [
        { itemId: a.id, quantity: 2 },
        { itemId: b.id, quantity: 2 },
        { itemId: c.id, quantity: 1 },
      ],
    });
    expectProblem(res, 409, 'insufficient_stock');
    expect(res.body.errors.map((error: { path: string }) => error.path)).toEqual(['lines.1.quantity', 'lines.2.quantity']);
    expect([await stockOf(a.id), await stockOf(b.id), await stockOf(c.id)]).toEqual([5, 1, 0]);
    expect(await reservationRow(reference)).toBeUndefined();
  });

  it('answers 404 naming the unknown line, and takes nothing', async () => {
    const a = await newItem({ stockCount: 5 });
    const res = await reserveLines({
      reference: unique('sale-'),
      lines: [
        { itemId: a.id, quantity: 1 },
        { itemId: missingId, quantity: 1 },
      ],
    });
    expectProblem(res, 404, 'not_found');
    expect(res.body.errors).toEqual([{ path: 'lines.1.itemId', message: expect.any(String) }]);
    expect(await stockOf(a.id)).toBe(5);
  });

  it('refuses an item twice, no lines and more than 50 lines with 400', async () => {
    const a = await newItem({ stockCount: 5 });
    const line = { itemId: a.id, quantity: 1 };
    const many = Array.from({ length: 51 }, () => ({ itemId: crypto.randomUUID(), quantity: 1 }));
    for (const lines of [[line, { ...line, itemId: a.id.toUpperCase() }], [], many]) {
      expectProblem(await reserveLines({ reference: unique('sale-'), lines }), 400, 'validation_failed');
    }
    expect(await stockOf(a.id)).toBe(5);
  });

  it('never deadlocks or oversells when baskets share items in opposite orders', async () => {
    const items = await Promise.all([newItem({ stockCount: 30 }), newItem({ stockCount: 30 }), newItem({ stockCount: 30 })]);
    const baskets = Array.from({ length: 60 }, (_, i) => {
      const [x, y] = [items[i % 3]!, items[(i + 1 + (i % 2)) % 3]!];
      return [
        { itemId: x.id, quantity: 1 },
        { itemId: y.id, quantity: 1 },
      ];
    });
    const results = await Promise.all(baskets.map((lines) => reserveLines({ reference: unique('sale-'), lines })));
    expect(results.map((r) => r.status).every((status) => status === 201 || status === 409)).toBe(true);
    results.filter((r) => r.status !== 201).forEach((r) => expectProblem(r, 409, 'insufficient_stock'));
    const taken = results.filter((r) => r.status === 201).length;
    const stocks = await Promise.all(items.map((item) => stockOf(item.id)));
    expect(stocks.every((stock) => stock >= 0)).toBe(true);
    expect(90 - stocks.reduce((sum, stock) => sum + stock, 0)).toBe(2 * taken);
    for (const item of items) expect(await movementsSum(item.id)).toBe(await stockOf(item.id));
  });
});

describe('POST /internal/stock/releases', () => {
  it('gives the stock back once: released, then already_released', async () => {
    const item = await newItem({ stockCount: 5 });
    const reference = unique('sale-');
    await reserve({ reference, itemId: item.id, quantity: 2 }).expect(201);
    const first = await release(reference);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ outcome: 'released' });
    expect(await stockOf(item.id)).toBe(5);
    expect((await release(reference)).body).toEqual({ outcome: 'already_released' });
    expect(await stockOf(item.id)).toBe(5);
    expect(await reservationRow(reference)).toEqual({ state: 'released', item_id: item.id, quantity: 2 });
    expect(await movementsSum(item.id)).toBe(5);
  });

  it('gives the stock back once when 10 releases of one reference arrive concurrently', async () => {
    const item = await newItem({ stockCount: 5 });
    const reference = unique('sale-');
    await reserve({ reference, itemId: item.id, quantity: 4 }).expect(201);
    const results = await Promise.all(Array.from({ length: 10 }, () => release(reference)));
    expect(results.map((r) => r.body.outcome).sort()).toEqual([...Array(9).fill('already_released'), 'released']);
    expect(await stockOf(item.id)).toBe(5);
  });

  it('voids a reference released before it was taken: the late take gets 409 conflict and takes nothing', async () => {
    const item = await newItem({ stockCount: 5 });
    const reference = unique('sale-');
    expect((await release(reference)).body).toEqual({ outcome: 'voided' });
    expect(await reservationRow(reference)).toEqual({ state: 'voided', item_id: null, quantity: null });
    expectProblem(await reserve({ reference, itemId: item.id, quantity: 1 }), 409, 'conflict');
    expect(await stockOf(item.id)).toBe(5);
    expect((await release(reference)).body).toEqual({ outcome: 'voided' });
  });

  it('refuses a take after its release with 409 conflict', async () => {
    const item = await newItem({ stockCount: 5 });
    const reference = unique('sale-');
    await reserve({ reference, itemId: item.id, quantity: 1 }).expect(201);
    await release(reference).expect(200);
    expectProblem(await reserve({ reference, itemId: item.id, quantity: 1 }), 409, 'conflict');
    expect(await stockOf(item.id)).toBe(5);
  });

  it('lets the undo win when a take and a release of one reference race: the stock always ends where it started', async () => {
    const item = await newItem({ stockCount: 50 });
    const references = Array.from({ length: 20 }, () => unique('sale-'));
    const outcomes = await Promise.all(
      references.map(async (reference) => {
        const [take, undo] = await Promise.all([reserve({ reference, itemId: item.id, quantity: 1 }), release(reference)]);
        return { take: take.status, undo: undo.body.outcome as string };
      }),
    );
    for (const { take, undo } of outcomes) {
      // Either the take came first and was given back, or the release came first and the take was refused.
      expect([`${take} ${undo}`]).toContainEqual(expect.stringMatching(/^(201 released|409 voided)$/));
    }
    expect(await stockOf(item.id)).toBe(50);
    expect(await movementsSum(item.id)).toBe(50);
  });

  it('gives stock back to an item deleted after the sale', async () => {
    const item = await newItem({ stockCount: 5 });
    const reference = unique('sale-');
    await reserve({ reference, itemId: item.id, quantity: 2 }).expect(201);
    await deleteItem(item.id);
    expect((await release(reference)).body).toEqual({ outcome: 'released' });
    expect(await stockOf(item.id)).toBe(5);
  });

  it('refuses a missing or over-long reference and unknown fields with 400', async () => {
    for (const body of [{}, { reference: '' }, { reference: 'r'.repeat(256) }, { reference: unique('sale-'), quantity: 1 }]) {
      expectProblem(await api('inventory').post('/internal/stock/releases').set(serviceAuth('inventory')).send(body), 400, 'validation_failed');
    }
  });
});

describe('POST /internal/stock/returns', () => {
  const returnStock = (body: object) => api('inventory').post('/internal/stock/returns').set(serviceAuth('inventory')).send(body);

  it('puts the units back once per reference, as return movements, also to a deleted item', async () => {
    const [a, b] = await Promise.all([newItem({ stockCount: 5 }), newItem({ stockCount: 5 })]);
    await deleteItem(b.id);
    const reference = unique('refund-');
    const body = {
      reference,
      lines: [
        { itemId: b.id, quantity: 1 },
        { itemId: a.id, quantity: 2 },
      ],
    };
    const first = await returnStock(body);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ outcome: 'returned' });
    const again = await returnStock(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ outcome: 'already_returned' });
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([7, 6]);
    const moves = await sql('inventory', `SELECT item_id::text, kind::text, delta FROM stock_movements WHERE reference = $1 ORDER BY delta`, [reference]);
    expect(moves).toEqual([
      { item_id: b.id, kind: 'return', delta: 1 },
      { item_id: a.id, kind: 'return', delta: 2 },
    ]);
    expect(await movementsSum(a.id)).toBe(7);
    expect(await movementsSum(b.id)).toBe(6);
  });

  it('returns once under 10 concurrent returns of one reference', async () => {
    const item = await newItem({ stockCount: 0 });
    const reference = unique('refund-');
    const results = await Promise.all(Array.from({ length: 10 }, () => returnStock({ reference, lines: [{ itemId: item.id, quantity: 3 }] })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(await stockOf(item.id)).toBe(3);
  });

  it('refuses other lines under a used reference (409), an unknown item (404) and bad bodies (400)', async () => {
    const item = await newItem({ stockCount: 0 });
    const reference = unique('refund-');
    await returnStock({ reference, lines: [{ itemId: item.id, quantity: 1 }] }).expect(201);
    expectProblem(await returnStock({ reference, lines: [{ itemId: item.id, quantity: 2 }] }), 409, 'conflict');
    expectProblem(await returnStock({ reference: unique('refund-'), lines: [{ itemId: missingId, quantity: 1 }] }), 404, 'not_found');
    expectProblem(await returnStock({ reference: unique('refund-'), lines: [] }), 400, 'validation_failed');
    expect(await stockOf(item.id)).toBe(1);
  });
});

describe('internal stock routes', () => {
  it.each([
    ['/internal/stock/reservations', { reference: 'x', itemId: missingId, quantity: 1 }],
    ['/internal/stock/releases', { reference: 'x' }],
    ['/internal/stock/returns', { reference: 'x', lines: [{ itemId: missingId, quantity: 1 }] }],
  ])('%s refuses anonymous callers (401), customer tokens (403) and admin tokens (403)', async (path, body) => {
    const customer = await newCustomer();
    expectProblem(await api('inventory').post(path).send(body), 401, 'unauthorized');
    expectProblem(await api('inventory').post(path).set('Authorization', 'Bearer not-the-service-token').send(body), 401, 'unauthorized');
    expectProblem(await api('inventory').post(path).set(customer.auth).send(body), 403, 'forbidden');
    expectProblem(await api('inventory').post(path).set(adminAuth).send(body), 403, 'forbidden');
    expect(await reservationRow('x')).toBeUndefined();
  });
});
