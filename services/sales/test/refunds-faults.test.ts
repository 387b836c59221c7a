// Refunds under real faults: a refund once accepted always completes, exactly once — with customers or
// inventory down or stalled (the fault proxy), and with the sales process SIGKILLed mid-refund.
import { api, expectProblem, newCustomer, sql, system } from '@shop/testkit';
import { is, proxiesPerTest } from './support/proxy';
import { balanceOf, faultSales, newItem, startSales, stockOf, sweepingSales, waitFor } from './support/shop';

// Each case starts sales instances and waits for a sweep: on a busy 2-core machine that alone can take a minute.
jest.setTimeout(150_000);

const proxy = proxiesPerTest();

/** A customer with a completed sale of 3 units at 100 (through the main instance, so no fault touches it). */
async function boughtSale() {
  const customer = await newCustomer({ balanceCents: 1_000 });
  const item = await newItem({ priceCents: 100, stockCount: 5 });
  const res = await api('sales').post('/sales').set(customer.auth).send({ itemId: item.id, quantity: 3 });
  expect(res.status).toBe(201);
  return { customer, item, saleId: res.body.id as string };
}

const refundsOf = (saleId: string) =>
  sql<{ id: string; status: string; recovery_count: number }>('sales', 'SELECT id::text, status::text, recovery_count FROM refunds WHERE sale_id = $1', [
    saleId,
  ]);
const creditsOf = (refundId: string) =>
  sql<{ amount: number }>('customers', `SELECT amount_cents::int AS amount FROM ledger_entries WHERE reference = $1 AND type = 'refund'`, [refundId]);
const returnsOf = (refundId: string) =>
  sql<{ delta: number }>('inventory', `SELECT delta FROM stock_movements WHERE reference = $1 AND kind = 'return'`, [refundId]);
const eventsOf = async (refundId: string) =>
  (await sql<{ n: number }>('sales', `SELECT count(*)::int AS n FROM outbox_events WHERE type = 'refund.completed' AND data->>'id' = $1`, [refundId]))[0]!.n;
const completed = (saleId: string) => async () => (await refundsOf(saleId))[0]?.status === 'COMPLETED';

describe('a refund when customers fails', () => {
  it.each([
    ['is down (connections dropped)', { kind: 'drop' } as const],
    ['answers 500', { kind: 'fail', status: 500 } as const],
  ])('answers 503 when customers %s, then completes exactly once when it is back', async (_name, fault) => {
    const faulty = await proxy(system().urls.customers, (req) => (is(req, 'POST', '/internal/wallet/credits') ? fault : { kind: 'forward' }));
    const sales = await startSales({ ...sweepingSales, CUSTOMERS_URL: faulty.url });
    const { customer, item, saleId } = await boughtSale();

    const res = await api(sales.url).post(`/sales/${saleId}/refunds`).set(customer.auth).set('Idempotency-Key', 'r-1').send({});
    expectProblem(res, 503, 'service_unavailable');
    const [pending] = await refundsOf(saleId);
    expect(pending).toMatchObject({ status: 'PENDING' });
    expect(await balanceOf(customer)).toBe(700);
    expect(await eventsOf(pending!.id)).toBe(0);
    // While it is completing, the same key answers 409 (in use), never a second refund.
    expectProblem(
      await api(sales.url).post(`/sales/${saleId}/refunds`).set(customer.auth).set('Idempotency-Key', 'r-1').send({}),
      409,
      'idempotency_key_in_use',
    );

    faulty.setRule(() => ({ kind: 'forward' }));
    await waitFor(completed(saleId), 30_000, 'the sweep to complete the refund');
    expect(await refundsOf(saleId)).toEqual([{ id: pending!.id, status: 'COMPLETED', recovery_count: 1 }]);
    expect(await creditsOf(pending!.id)).toEqual([{ amount: 300 }]);
    expect(await balanceOf(customer)).toBe(1_000);
    expect(await stockOf(item.id)).toBe(5);
    expect(await returnsOf(pending!.id)).toEqual([{ delta: 3 }]);
    expect(await eventsOf(pending!.id)).toBe(1);
    expect((await api('sales').get(`/sales/${saleId}`).set(customer.auth)).body).toMatchObject({ status: 'refunded', refundedCents: 300 });
    // The key now replays the completed refund.
    const replay = await api(sales.url).post(`/sales/${saleId}/refunds`).set(customer.auth).set('Idempotency-Key', 'r-1').send({});
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ id: pending!.id, amountCents: 300 });
    await sales.stop();
  });
});

describe('a refund when inventory stalls', () => {
  it('answers 503, completes once when inventory answers again, and a late return changes nothing', async () => {
    const stall = await proxy(system().urls.inventory, (req) => (is(req, 'POST', '/internal/stock/returns') ? { kind: 'hold' } : { kind: 'forward' }));
    const sales = await startSales({ ...faultSales, INVENTORY_URL: stall.url });
    const { customer, item, saleId } = await boughtSale();

    expectProblem(
      await api(sales.url)
        .post(`/sales/${saleId}/refunds`)
        .set(customer.auth)
        .send({ lines: [{ itemId: item.id, quantity: 2 }] }),
      503,
      'service_unavailable',
    );
    const [pending] = await refundsOf(saleId);
    expect(pending!.status).toBe('PENDING');
    // The money was credited (the step before); the units are not back yet.
    expect(await balanceOf(customer)).toBe(900);
    expect(await stockOf(item.id)).toBe(2);

    // The stalled returns arrive late (idempotent: the first puts the units back, the retry moves nothing)…
    await stall.releaseHeld();
    expect(stall.forwarded.map((req) => req.status).every((status) => status === 200 || status === 201)).toBe(true);
    // …and a sweeping instance completes the refund, once.
    stall.setRule(() => ({ kind: 'forward' }));
    const sweeper = await startSales({ ...sweepingSales, INVENTORY_URL: stall.url });
    await waitFor(completed(saleId), 30_000, 'the sweep to complete the refund');
    expect(await returnsOf(pending!.id)).toEqual([{ delta: 2 }]);
    expect(await stockOf(item.id)).toBe(4);
    expect(await creditsOf(pending!.id)).toEqual([{ amount: 200 }]);
    expect(await balanceOf(customer)).toBe(900);
    expect((await api('sales').get(`/sales/${saleId}`).set(customer.auth)).body).toMatchObject({ status: 'partially_refunded', refundedCents: 200 });
    await Promise.all([sales.stop(), sweeper.stop()]);
  });
});

describe('sales killed mid-refund', () => {
  it('a new instance finishes the refund exactly once, and the dead one’s late credit changes nothing', async () => {
    const stall = await proxy(system().urls.customers, (req) => (is(req, 'POST', '/internal/wallet/credits') ? { kind: 'hold' } : { kind: 'forward' }));
    const doomed = await startSales({ ...faultSales, SERVICE_TIMEOUT_MS: '30000', SERVICE_RETRY_ATTEMPTS: '1', CUSTOMERS_URL: stall.url });
    const { customer, item, saleId } = await boughtSale();

    const hanging = api(doomed.url)
      .post(`/sales/${saleId}/refunds`)
      .set(customer.auth)
      .send({})
      .then(
        (res) => res.status,
        (error: Error) => error.message,
      );
    await waitFor(() => Promise.resolve(stall.heldCount() === 1), 10_000, 'the credit to stall');
    await doomed.kill();
    expect(await hanging).toMatch(/socket hang up|ECONNRESET/);
    const [pending] = await refundsOf(saleId);
    expect(pending!.status).toBe('PENDING');
    expect(await balanceOf(customer)).toBe(700);

    const restarted = await startSales(sweepingSales);
    await waitFor(completed(saleId), 30_000, 'the sweep to finish the refund');
    expect(await creditsOf(pending!.id)).toEqual([{ amount: 300 }]);
    expect(await balanceOf(customer)).toBe(1_000);
    expect(await stockOf(item.id)).toBe(5);

    // The credit the dead process sent arrives at last: idempotent by the refund id, it gives nothing more.
    await stall.releaseHeld();
    expect(stall.forwarded.map((req) => req.status)).toEqual([200]);
    expect(await creditsOf(pending!.id)).toEqual([{ amount: 300 }]);
    expect(await balanceOf(customer)).toBe(1_000);
    expect(await refundsOf(saleId)).toEqual([{ id: pending!.id, status: 'COMPLETED', recovery_count: 1 }]);
    await restarted.stop();
  });
});
