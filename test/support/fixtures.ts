// Realistic data for the cross-service checks: customers with money, an item in stock, a completed sale and
// reviews (approved and pending), created through the public API like a user would.
import type { ServiceName } from '@shop/devkit';
import { admin, api, newCustomer, newItem as newTestItem, serviceAuth, sessionIdOf, sql, unique, type ItemBody, type TestCustomer } from '@shop/testkit';
import { startReceiver, type Receiver } from './receiver';

/**
 * One receiver on loopback (answering 200) for the fixture webhook subscriptions of a test file, so their
 * deliveries succeed at once instead of being retried; the subscriptions are deleted after the file.
 */
let receiver: Promise<Receiver> | undefined;
export const fixtureReceiver = () => (receiver ??= startReceiver());
const fixtureSubscriptions: Array<[ServiceName, string]> = [];
afterAll(async () => {
  if (!receiver) return;
  const { auth } = await admin();
  await Promise.all(fixtureSubscriptions.splice(0).map(([service, id]) => api(service).delete(`/webhooks/${id}`).set(auth)));
  await (await receiver)?.close();
  receiver = undefined;
});
export async function newSubscription(service: ServiceName) {
  const { auth } = await admin();
  const res = await expectStatus(
    'subscribe',
    api(service)
      .post('/webhooks')
      .set(auth)
      .send({ url: (await fixtureReceiver()).url, events: ['*'] }),
    201,
  );
  fixtureSubscriptions.push([service, res.body.id]);
  return res.body as { id: string };
}
/** A failed delivery of a subscription, written straight into the service's tables (what the worker leaves after 24 h). */
export async function failedDelivery(service: ServiceName, subscriptionId: string) {
  const [row] = await sql(
    service,
    `WITH e AS (INSERT INTO outbox_events (id, type, data, dispatched_at) VALUES (gen_random_uuid(), 'fixture.failed', '{}', now()) RETURNING id, type)
     INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, attempts, last_error, give_up_at)
     SELECT gen_random_uuid(), $1, e.id, e.type, 'failed', 1, 'fixture', now() FROM e RETURNING id`,
    [subscriptionId],
  );
  return row as { id: string };
}

export async function expectStatus<T extends { status: number; body: any }>(what: string, res: T | Promise<T>, status: number): Promise<T> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/** An item with stock for every check that buys it. */
export const newItem = (overrides: Partial<ItemBody> = {}) =>
  newTestItem({ category: 'electronics', priceCents: 250, description: 'fixture', stockCount: 1000, ...overrides });

export async function buy(customer: { auth: Record<string, string> }, itemId: string, quantity = 1) {
  const res = await expectStatus('purchase', api('sales').post('/sales').set(customer.auth).send({ itemId, quantity }), 201);
  return res.body as { id: string; itemId: string; totalCents: number; createdAt: string };
}

export async function newReview(author: TestCustomer, itemId: string, approve: boolean) {
  const res = await expectStatus('review', api('reviews').post('/reviews').set(author.auth).send({ itemId, rating: 4, comment: 'fine' }), 201);
  if (approve) {
    const { auth } = await admin();
    await expectStatus('approve', api('reviews').post(`/reviews/${res.body.id}/moderation`).set(auth).send({ action: 'approve' }), 200);
  }
  return res.body as { id: string };
}

/** Lazily built pieces: each is created on first use, once per World. */
export class World {
  private cache = new Map<string, Promise<any>>();
  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key)!;
  }
  owner = () => this.once('owner', () => newCustomer({ balanceCents: 1_000_000 }));
  other = () => this.once('other', () => newCustomer({ balanceCents: 1_000_000 }));
  item = () => this.once('item', () => newItem());
  /** Items of their own for the fixture reviews (a customer reviews an item once; `item` stays free for tests). */
  approvedItem = () => this.once('approvedItem', () => newItem());
  pendingItem = () => this.once('pendingItem', () => newItem());
  /** Bought from an item of its own: tests that buy `item` (the fuzzer does, a lot) cannot empty its stock first. */
  saleItem = () => this.once('saleItem', () => newItem());
  /** Reserved from an item of its own, for the same reason: the fuzzer's reservations and purchases drain `item`. */
  reservationItem = () => this.once('reservationItem', () => newItem());
  sale = () => this.once('sale', async () => buy(await this.owner(), (await this.saleItem()).id));
  approvedReview = () => this.once('approvedReview', async () => newReview(await this.owner(), (await this.approvedItem()).id, true));
  pendingReview = () => this.once('pendingReview', async () => newReview(await this.owner(), (await this.pendingItem()).id, false));
  /** A new login (not cached: each call opens another session) of the owner or the other customer. */
  newSession = async (who: 'owner' | 'other' = 'owner') => {
    const customer = await (who === 'owner' ? this.owner() : this.other());
    const res = await expectStatus('login', api('customers').post('/auth/login').send({ username: customer.username, password: customer.password }), 200);
    const claims = JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString()) as { sid: string };
    return { refreshToken: res.body.refreshToken as string, sessionId: claims.sid };
  };
  /** A wallet transaction of the owner (a deposit). */
  transaction = () =>
    this.once('transaction', async () => {
      const owner = await this.owner();
      const res = await expectStatus('list transactions', api('customers').get(`/customers/${owner.username}/wallet/transactions`).set(owner.auth), 200);
      return res.body.data[0] as { id: string };
    });
  /** Money the owner was charged through the internal route, to refund. */
  debit = () =>
    this.once('debit', async () => {
      const owner = await this.owner();
      const reference = `fixture-${unique()}`;
      await expectStatus(
        'debit',
        api('customers')
          .post('/internal/wallet/debits')
          .set(serviceAuth('customers'))
          .send({ customerId: owner.id, amountCents: 100, reference, sessionId: sessionIdOf(owner.token) }),
        201,
      );
      return { reference };
    });
  subscription = (service: ServiceName) => this.once(`subscription:${service}`, () => newSubscription(service));
  delivery = (service: ServiceName) => this.once(`delivery:${service}`, async () => failedDelivery(service, (await this.subscription(service)).id));
  reservation = () =>
    this.once('reservation', async () => {
      const reference = `fixture-${unique()}`;
      await expectStatus(
        'reserve',
        api('inventory')
          .post('/internal/stock/reservations')
          .set(serviceAuth('inventory'))
          .send({ reference, lines: [{ itemId: (await this.reservationItem()).id, quantity: 1 }] }),
        201,
      );
      return { reference };
    });
}

/** Puts money in the admin's own wallet (admins buy for themselves). */
export async function fundAdmin(amountCents = 1_000_000) {
  const { auth } = await admin();
  const me = await api('customers').get('/customers?q=admin&limit=100').set(auth);
  const row = me.body.data.find((c: { role: string; username: string }) => c.role === 'admin');
  await expectStatus('admin deposit', api('customers').post(`/customers/${row.username}/wallet/deposits`).set(auth).send({ amountCents }), 201);
  return row as { id: string; username: string };
}
