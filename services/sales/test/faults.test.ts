// Real faults in the purchase saga: a stopped service, a proxy that stalls, answers lost or late, a killed
// process. Whatever happens, no customer pays without a completed sale and no stock stays taken without one.
import crypto from 'node:crypto';
import { freePort } from '@shop/devkit';
import { api, expectProblem, startInstance, system, sql } from '@shop/testkit';
import { is, proxiesPerTest, type Action } from './support/proxy';
import { balanceOf, buyerAndItem, faultSales, ledgerFor, onlySale, salesOf, startSales, stockOf, sweepingSales, waitFor } from './support/shop';

const proxy = proxiesPerTest();

const buyAt = (salesUrl: string, auth: { Authorization: string }, itemId: string, key?: string) => {
  const req = api(salesUrl).post('/sales').set(auth);
  return (key ? req.set('Idempotency-Key', key) : req).send({ itemId });
};

const reservationOf = async (saleId: string) => (await sql('inventory', 'SELECT state::text FROM stock_reservations WHERE reference = $1', [saleId]))[0]?.state;

describe('POST /sales when inventory fails', () => {
  it('answers 503 and takes no money when inventory is stopped: nothing was reserved, so the sale ends at once', async () => {
    const port = await freePort();
    const inventory = await startInstance('inventory', { PORT: String(port) });
    const sales = await startSales({ ...sweepingSales, INVENTORY_URL: inventory.url });
    const { customer, item } = await buyerAndItem({ stockCount: 3 });
    await inventory.stop();

    expectProblem(await buyAt(sales.url, customer.auth, item.id), 503, 'service_unavailable');
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await stockOf(item.id)).toBe(3);
    // The price check before the reservation could not reach inventory: no reservation was sent, nothing to undo.
    const sale = await onlySale(customer.id);
    expect(sale).toMatchObject({ status: 'FAILED', failure_reason: 'unavailable' });
    expect(await reservationOf(sale.id)).toBeUndefined();
    await sales.stop();
  });

  it('answers 503 and takes no money when the reservation and its undo fail; the sweep ends the sale once inventory is back', async () => {
    // Inventory answers the price check, then stops answering its stock routes (as if it went down in between).
    const down = await proxy(system().urls.inventory, (req) => (is(req, 'POST', '/internal/stock/') ? { kind: 'drop' } : { kind: 'forward' }));
    const sales = await startSales({ ...sweepingSales, INVENTORY_URL: down.url });
    const { customer, item } = await buyerAndItem({ stockCount: 3 });

    expectProblem(await buyAt(sales.url, customer.auth, item.id), 503, 'service_unavailable');
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await stockOf(item.id)).toBe(3);
    // The undo (a release) could not reach inventory either: the sale waits, pending, for the sweep.
    const sale = await onlySale(customer.id);
    expect(sale.status).toBe('PENDING');

    down.setRule(() => ({ kind: 'forward' }));
    await waitFor(async () => (await onlySale(customer.id)).status === 'FAILED', 20_000, 'the sweep to end the sale');
    expect(await salesOf(customer.id)).toEqual([expect.objectContaining({ failure_reason: 'abandoned', recovery_count: 1 })]);
    expect(await reservationOf(sale.id)).toBe('voided');
    expect(await stockOf(item.id)).toBe(3);
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await ledgerFor(sale.id)).toEqual([]);
    await sales.stop();
  });

  it('answers 503 and takes no money when inventory is too slow; the late reservation is refused', async () => {
    const slow = await proxy(system().urls.inventory, (req) => (is(req, 'POST', '/internal/stock/reservations') ? { kind: 'hold' } : { kind: 'forward' }));
    const sales = await startSales({ ...faultSales, INVENTORY_URL: slow.url });
    const { customer, item } = await buyerAndItem({ stockCount: 3 });

    expectProblem(await buyAt(sales.url, customer.auth, item.id), 503, 'service_unavailable');
    expect(slow.heldCount()).toBe(2); // the first attempt and its retry, both with the sale id as reference
    const sale = await onlySale(customer.id);
    expect(sale).toMatchObject({ status: 'FAILED', failure_reason: 'unavailable' });

    // Now the stalled reservations reach inventory: the release's tombstone refuses them.
    await slow.releaseHeld();
    const late = slow.forwarded.filter((req) => is(req, 'POST', '/internal/stock/reservations'));
    expect(late.map((req) => [req.body.reference, req.status, req.answer.code])).toEqual([
      [sale.id, 409, 'conflict'],
      [sale.id, 409, 'conflict'],
    ]);
    expect(await stockOf(item.id)).toBe(3);
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await ledgerFor(sale.id)).toEqual([]);
    await sales.stop();
  });
});

describe('POST /sales when customers fails the debit after the stock was taken', () => {
  it.each<[string, Action, number]>([
    ['answers 500 (debit not made)', { kind: 'fail', status: 500 }, 0],
    ['drops the connection (debit not made)', { kind: 'drop' }, 0],
    ['makes the debit but answers 502 (answer lost)', { kind: 'forwardThenFail', status: 502 }, 1],
  ])('gives the stock and any money back and answers 503 when customers %s', async (_name, action, debitsMade) => {
    const faulty = await proxy(system().urls.customers, (req) => (is(req, 'POST', '/internal/wallet/debits') ? action : { kind: 'forward' }));
    const sales = await startSales({ ...faultSales, CUSTOMERS_URL: faulty.url });
    const { customer, item } = await buyerAndItem({ stockCount: 3, priceCents: 400 });

    expectProblem(await buyAt(sales.url, customer.auth, item.id), 503, 'service_unavailable');
    await faulty.settled();
    const sale = await onlySale(customer.id);
    expect(sale).toMatchObject({ status: 'FAILED', failure_reason: 'unavailable' });
    expect(faulty.seen.filter((req) => is(req, 'POST', '/internal/wallet/debits'))).toHaveLength(2);
    expect(await stockOf(item.id)).toBe(3);
    expect(await reservationOf(sale.id)).toBe('released');
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await ledgerFor(sale.id)).toEqual(
      debitsMade
        ? [
            { type: 'purchase', amount: -400 },
            { type: 'refund', amount: 400 },
          ]
        : [],
    );
    await sales.stop();
  });
});

describe('POST /sales when customers is too slow', () => {
  it('refuses a debit that lands after sales gave up (tombstone): nobody is charged without a sale', async () => {
    const slow = await proxy(system().urls.customers, (req) => (is(req, 'POST', '/internal/wallet/debits') ? { kind: 'hold' } : { kind: 'forward' }));
    const sales = await startSales({ ...faultSales, CUSTOMERS_URL: slow.url });
    const { customer, item } = await buyerAndItem({ stockCount: 3, priceCents: 400 });

    expectProblem(await buyAt(sales.url, customer.auth, item.id), 503, 'service_unavailable');
    const sale = await onlySale(customer.id);
    expect(sale.status).toBe('FAILED');
    expect(await stockOf(item.id)).toBe(3);

    await slow.releaseHeld();
    const late = slow.forwarded.filter((req) => is(req, 'POST', '/internal/wallet/debits'));
    expect(late.map((req) => [req.body.reference, req.status])).toEqual([
      [sale.id, 409],
      [sale.id, 409],
    ]);
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await ledgerFor(sale.id)).toEqual([]);
    await sales.stop();
  });

  it('refunds a debit that lands after its attempt timed out but before sales undid it', async () => {
    // Every debit is delayed past the 2 s attempt timeout, then delivered: it happens, unseen by sales. The first
    // lands at 3 s: a second after its attempt timed out (2 s), a second before the retry times out and sales undoes (~4 s).
    const slow = await proxy(system().urls.customers, (req) =>
      is(req, 'POST', '/internal/wallet/debits') ? { kind: 'forward', delayMs: 3000 } : { kind: 'forward' },
    );
    const sales = await startSales({ ...faultSales, CUSTOMERS_URL: slow.url });
    const { customer, item } = await buyerAndItem({ stockCount: 3, priceCents: 400 });

    expectProblem(await buyAt(sales.url, customer.auth, item.id), 503, 'service_unavailable');
    await slow.settled();
    const sale = await onlySale(customer.id);
    expect(sale.status).toBe('FAILED');
    expect(await stockOf(item.id)).toBe(3);
    expect(await balanceOf(customer)).toBe(10_000);
    const ledger = await ledgerFor(sale.id);
    expect(ledger.reduce((sum, entry) => sum + entry.amount, 0)).toBe(0);
    expect(ledger[0]).toEqual({ type: 'purchase', amount: -400 });
    await sales.stop();
  });
});

describe('sales killed mid-purchase', () => {
  it('undoes the pending sale after a restart (stock back, no money taken) and frees its idempotency key', async () => {
    const stall = await proxy(system().urls.customers, (req) => (is(req, 'POST', '/internal/wallet/debits') ? { kind: 'hold' } : { kind: 'forward' }));
    const doomed = await startSales({ ...faultSales, SERVICE_TIMEOUT_MS: '30000', SERVICE_RETRY_ATTEMPTS: '1', CUSTOMERS_URL: stall.url });
    const { customer, item } = await buyerAndItem({ stockCount: 3, priceCents: 400 });
    const key = crypto.randomUUID();

    const hanging = buyAt(doomed.url, customer.auth, item.id, key).then(
      (res) => res.status,
      (error: Error) => error.message,
    );
    await waitFor(() => Promise.resolve(stall.heldCount() === 1), 10_000, 'the debit to stall');
    expect(await stockOf(item.id)).toBe(2);
    await doomed.kill();
    expect(await hanging).toMatch(/socket hang up|ECONNRESET/);
    const sale = await onlySale(customer.id);
    expect(sale.status).toBe('PENDING');
    // While it is pending its key is in flight.
    expectProblem(await buyAt(system().urls.sales, customer.auth, item.id, key), 409, 'idempotency_key_in_use');

    const restarted = await startSales(sweepingSales);
    await waitFor(async () => (await onlySale(customer.id)).status === 'FAILED', 20_000, 'the sweep to undo the sale');
    expect(await salesOf(customer.id)).toEqual([expect.objectContaining({ id: sale.id, failure_reason: 'abandoned', recovery_count: 1 })]);
    expect(await stockOf(item.id)).toBe(3);
    expect(await balanceOf(customer)).toBe(10_000);

    // The debit the dead process sent finally arrives: the refund's tombstone refuses it.
    await stall.releaseHeld();
    expect(stall.forwarded.filter((req) => is(req, 'POST', '/internal/wallet/debits')).map((req) => req.status)).toEqual([409]);
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await ledgerFor(sale.id)).toEqual([]);

    // The key was released with the undone sale: the client's retry runs afresh.
    const retry = await buyAt(system().urls.sales, customer.auth, item.id, key);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await balanceOf(customer)).toBe(9_600);
    await restarted.stop();
  });
});
