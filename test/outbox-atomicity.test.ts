/**
 * Issue 25 item 4a: a change and its outbox event are one transaction, in every service. A trigger planted in the
 * test database refuses the insert of one event (its type, and a marker only this test's row carries: other test
 * files share the table), so the write of the event fails after the change was written. The change must be gone
 * with it: were the event written after the change's commit (or in another transaction), the change would stay
 * without its event, and every case below would fail on the state it checks.
 *
 * item.stock_low is not here: a trigger on items writes it in the statement that changes the stock.
 */
import crypto from 'node:crypto';
import type { ServiceName } from '@shop/devkit';
import { admin, api, customerBody, newCustomer, newItem, sql } from '@shop/testkit';

let planted = 0;
/** Makes `service`'s database refuse the outbox insert of `type` whose data contains `marker`, until the returned call. */
async function refuseEvent(service: ServiceName, type: string, marker: string): Promise<() => Promise<unknown>> {
  const name = `test_refuse_outbox_${process.pid}_${planted++}`;
  await sql(service, `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the outbox insert is refused by a test'; END $$`);
  // The marker is a generated id or name (letters, digits, hyphens): safe inside the literal.
  await sql(
    service,
    `CREATE TRIGGER ${name} BEFORE INSERT ON outbox_events FOR EACH ROW
       WHEN (NEW.type = '${type}' AND strpos(NEW.data::text, '${marker}') > 0) EXECUTE FUNCTION ${name}()`,
  );
  return async () => {
    await sql(service, `DROP TRIGGER IF EXISTS ${name} ON outbox_events`);
    await sql(service, `DROP FUNCTION IF EXISTS ${name}()`);
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
const refuse = async (service: ServiceName, type: string, marker: string) => cleanups.push(await refuseEvent(service, type, marker));

/** The refused event's request fails as a whole: an answer of 500 or 503, never a success. */
const expectFailed = (res: { status: number }) => expect(res.status).toBeGreaterThanOrEqual(500);

describe('a change and its outbox event commit together (or not at all)', () => {
  it('customer.created: no customer without its event', async () => {
    const body = customerBody();
    await refuse('customers', 'customer.created', body.username);
    expectFailed(await api('customers').post('/customers').send(body));
    expect(await sql('customers', 'SELECT 1 FROM customers WHERE username = $1', [body.username])).toEqual([]);
  });

  it('customer.deleted: the account stays when its event cannot be written', async () => {
    const customer = await newCustomer();
    await refuse('customers', 'customer.deleted', customer.id);
    expectFailed(
      await api('customers')
        .delete(`/customers/${customer.username}`)
        .set((await admin()).auth),
    );
    expect(await sql('customers', 'SELECT username FROM customers WHERE id = $1', [customer.id])).toEqual([{ username: customer.username }]);
  });

  it('item.created, item.updated and item.deleted: the item is as it was', async () => {
    const auth = (await admin()).auth;
    const name = `atomic-${crypto.randomUUID()}`;
    await refuse('inventory', 'item.created', name);
    expectFailed(await api('inventory').post('/items').set(auth).send({ name, category: 'food', priceCents: 100, stockCount: 1 }));
    expect(await sql('inventory', 'SELECT 1 FROM items WHERE name = $1', [name])).toEqual([]);

    const item = await newItem({ priceCents: 100 });
    await refuse('inventory', 'item.updated', item.id);
    await refuse('inventory', 'item.deleted', item.id);
    expectFailed(await api('inventory').patch(`/items/${item.id}`).set(auth).send({ priceCents: 200 }));
    expectFailed(await api('inventory').delete(`/items/${item.id}`).set(auth));
    expect(await sql('inventory', 'SELECT price_cents::int AS price, deleted_at FROM items WHERE id = $1', [item.id])).toEqual([
      { price: 100, deleted_at: null },
    ]);
  });

  it('sale.completed: no completed sale (nor a lasting debit) without its event', async () => {
    const [customer, item] = await Promise.all([newCustomer({ balanceCents: 10_000 }), newItem({ priceCents: 100, stockCount: 5 })]);
    await refuse('sales', 'sale.completed', customer.id);
    expectFailed(await api('sales').post('/sales').set(customer.auth).send({ itemId: item.id }));
    expect(await sql('sales', `SELECT status::text FROM sales WHERE customer_id = $1 AND status = 'COMPLETED'`, [customer.id])).toEqual([]);
  });

  it('refund.completed: no refund (nor a refunded amount on the sale) without its event', async () => {
    const [customer, item] = await Promise.all([newCustomer({ balanceCents: 10_000 }), newItem({ priceCents: 100, stockCount: 5 })]);
    const sale = await api('sales').post('/sales').set(customer.auth).send({ itemId: item.id });
    expect(sale.status).toBe(201);
    await refuse('sales', 'refund.completed', sale.body.id);
    expectFailed(await api('sales').post(`/sales/${sale.body.id}/refunds`).set(customer.auth).send({ reason: 'atomicity' }));
    expect(await sql('sales', `SELECT 1 FROM refunds WHERE sale_id = $1 AND status = 'COMPLETED'`, [sale.body.id])).toEqual([]);
    expect(await sql('sales', 'SELECT refunded_cents::int AS refunded FROM sales WHERE id = $1', [sale.body.id])).toEqual([{ refunded: 0 }]);
  });

  it('review.approved and review.rejected: the review stays pending', async () => {
    const [author, item] = await Promise.all([newCustomer(), newItem()]);
    const created = await api('reviews').post('/reviews').set(author.auth).send({ itemId: item.id, rating: 4 });
    expect(created.status).toBe(201);
    await refuse('reviews', 'review.approved', created.body.id);
    await refuse('reviews', 'review.rejected', created.body.id);
    const auth = (await admin()).auth;
    expectFailed(await api('reviews').post(`/reviews/${created.body.id}/moderation`).set(auth).send({ action: 'approve' }));
    expectFailed(await api('reviews').post(`/reviews/${created.body.id}/moderation`).set(auth).send({ action: 'reject' }));
    expect(await sql('reviews', 'SELECT status::text FROM reviews WHERE id = $1', [created.body.id])).toEqual([{ status: 'pending' }]);
    expect(await sql('reviews', 'SELECT 1 FROM review_moderations WHERE review_id = $1', [created.body.id])).toEqual([]);
  });
});
