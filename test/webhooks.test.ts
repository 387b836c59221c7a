// Webhooks (contract v3) end to end: real services, real PostgreSQL, a real receiver on loopback that checks
// every signature with the `standardwebhooks` package. Each test subscribes its own receiver and looks only
// at the deliveries about its own resources (other test files' events reach it too).
import { isPublicAddress } from '../packages/kit/src/webhooks/targets';
import { admin, api, deleteItem, newCustomer, sql, startInstance, startIsolated, unique } from '@shop/testkit';
import { startReceiver, type Receiver } from './support/receiver';
import { eventually, subscribe, unsubscribe } from './support/webhooks';

jest.setTimeout(90_000);

const receivers: Receiver[] = [];
const subscriptions: Array<[Parameters<typeof unsubscribe>[0], string]> = [];
async function receiverOn(service: 'customers' | 'inventory' | 'sales' | 'reviews', events: string[] = ['*']) {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const subscription = await subscribe(service, receiver, events);
  subscriptions.push([service, subscription.id]);
  return { receiver, subscription };
}
afterAll(async () => {
  await Promise.all(subscriptions.map(([service, id]) => unsubscribe(service, id)));
  await Promise.all(receivers.map((r) => r.close()));
});

async function newItem(body: Record<string, unknown> = {}) {
  const res = await api('inventory')
    .post('/items')
    .set((await admin()).auth)
    .send({ name: unique('hooked-'), category: 'food', priceCents: 500, stockCount: 10, ...body });
  expect(res.status).toBe(201);
  return res.body;
}
const adjust = async (id: string, delta: number) => {
  const res = await api('inventory')
    .post(`/items/${id}/stock-adjustments`)
    .set((await admin()).auth)
    .send({ delta });
  expect(res.status).toBe(200);
  return res.body;
};

describe('every event type is delivered, signed per Standard Webhooks, with the resource in its public shape', () => {
  it('customers: customer.created and customer.deleted', async () => {
    const { receiver } = await receiverOn('customers', ['customer.created', 'customer.deleted']);
    const customer = await newCustomer();
    const shown = (
      await api('customers')
        .get(`/customers/${customer.username}`)
        .set((await admin()).auth)
    ).body;
    const created = await receiver.waitFor((d) => d.type === 'customer.created' && d.data.id === customer.id, 'customer.created');
    expect(created).toMatchObject({ verified: true, data: shown });
    expect(created.body).toEqual({ id: created.id, type: 'customer.created', createdAt: expect.any(String), data: shown });

    expect((await api('customers').delete(`/customers/${customer.username}`).set(customer.auth)).status).toBe(204);
    const deleted = await receiver.waitFor((d) => d.type === 'customer.deleted' && d.data.id === customer.id, 'customer.deleted');
    expect(deleted).toMatchObject({ verified: true, data: { ...shown, updatedAt: expect.any(String) } });
    expect(new Set(receiver.received.filter((d) => d.data.id === customer.id).map((d) => d.type))).toEqual(new Set(['customer.created', 'customer.deleted']));
  });

  it('inventory: item.created, item.updated (PATCH and stock adjustments), item.deleted', async () => {
    const { receiver } = await receiverOn('inventory');
    const item = await newItem();
    expect(await receiver.waitFor((d) => d.type === 'item.created' && d.data.id === item.id, 'item.created')).toMatchObject({ verified: true, data: item });

    const patched = (
      await api('inventory')
        .patch(`/items/${item.id}`)
        .set((await admin()).auth)
        .send({ priceCents: 650, lowStockThreshold: 2 })
    ).body;
    expect(await receiver.waitFor((d) => d.type === 'item.updated' && d.data.priceCents === 650 && d.data.id === item.id, 'item.updated')).toMatchObject({
      verified: true,
      data: patched,
    });
    const adjusted = await adjust(item.id, 5);
    expect(
      await receiver.waitFor((d) => d.type === 'item.updated' && d.data.stockCount === 15 && d.data.id === item.id, 'item.updated (adjustment)'),
    ).toMatchObject({ data: adjusted });

    await deleteItem(item.id);
    const deleted = await receiver.waitFor((d) => d.type === 'item.deleted' && d.data.id === item.id, 'item.deleted');
    expect(deleted).toMatchObject({ verified: true, data: { ...adjusted, updatedAt: expect.any(String) } });
  });

  it('inventory: item.stock_low when an adjustment crosses the threshold, once per crossing', async () => {
    const { receiver } = await receiverOn('inventory', ['item.stock_low']);
    const item = await newItem({ stockCount: 10, lowStockThreshold: 4 });
    await adjust(item.id, -3); // 7: above
    const crossed = await adjust(item.id, -3); // 4: at the threshold, crosses
    await adjust(item.id, -2); // 2: still low, no new crossing
    await adjust(item.id, +6); // 8: back above
    await adjust(item.id, -8); // 0: crosses again
    const low = await sql(
      'inventory',
      `SELECT data->>'stockCount' AS stock FROM outbox_events WHERE type = 'item.stock_low' AND data->>'id' = $1 ORDER BY seq`,
      [item.id],
    );
    expect(low.map((row) => Number(row.stock))).toEqual([4, 0]);
    const first = await receiver.waitFor((d) => d.type === 'item.stock_low' && d.data.id === item.id && d.data.stockCount === 4, 'item.stock_low at 4');
    expect(first).toMatchObject({ verified: true, data: crossed });
    await receiver.waitFor((d) => d.type === 'item.stock_low' && d.data.id === item.id && d.data.stockCount === 0, 'item.stock_low at 0');
  });

  it('inventory: item.stock_low when purchases through sales cross the threshold (the reservation statement)', async () => {
    const { receiver } = await receiverOn('inventory', ['item.stock_low']);
    const item = await newItem({ stockCount: 5, lowStockThreshold: 2, priceCents: 100 });
    const buyer = await newCustomer({ balanceCents: 10_000 });
    for (const quantity of [2, 1, 1]) {
      expect((await api('sales').post('/sales').set(buyer.auth).send({ itemId: item.id, quantity })).status).toBe(201);
    }
    const low = await sql('inventory', `SELECT data->>'stockCount' AS stock FROM outbox_events WHERE type = 'item.stock_low' AND data->>'id' = $1`, [item.id]);
    expect(low.map((row) => Number(row.stock))).toEqual([2]);
    const delivered = await receiver.waitFor((d) => d.type === 'item.stock_low' && d.data.id === item.id, 'item.stock_low');
    const shown = (await api('inventory').get(`/items/${item.id}`)).body;
    expect(delivered).toMatchObject({ verified: true, data: { ...shown, stockCount: 2, updatedAt: expect.any(String) } });
  });

  it('reviews: review.approved and review.rejected', async () => {
    const { receiver } = await receiverOn('reviews');
    const item = await newItem();
    const [alice, bob] = await Promise.all([newCustomer(), newCustomer()]);
    const review = async (who: typeof alice) => (await api('reviews').post('/reviews').set(who.auth).send({ itemId: item.id, rating: 4 })).body;
    const [first, second] = [await review(alice), await review(bob)];
    const moderate = async (id: string, action: string) =>
      (
        await api('reviews')
          .post(`/reviews/${id}/moderation`)
          .set((await admin()).auth)
          .send({ action })
      ).body;
    const approved = await moderate(first.id, 'approve');
    const rejected = await moderate(second.id, 'reject');
    expect(await receiver.waitFor((d) => d.type === 'review.approved' && d.data.id === first.id, 'review.approved')).toMatchObject({
      verified: true,
      data: approved,
    });
    expect(await receiver.waitFor((d) => d.type === 'review.rejected' && d.data.id === second.id, 'review.rejected')).toMatchObject({
      verified: true,
      data: rejected,
    });
  });

  it('sales: sale.completed, with the sale as GET /sales/:id shows it', async () => {
    const { receiver } = await receiverOn('sales', ['sale.completed']);
    const item = await newItem({ priceCents: 300 });
    const buyer = await newCustomer({ balanceCents: 1_000 });
    const sold = await api('sales').post('/sales').set(buyer.auth).send({ itemId: item.id, quantity: 2 });
    expect(sold.status).toBe(201);
    const shown = (await api('sales').get(`/sales/${sold.body.id}`).set(buyer.auth)).body;
    const delivered = await receiver.waitFor((d) => d.type === 'sale.completed' && d.data.id === sold.body.id, 'sale.completed');
    expect(delivered).toMatchObject({ verified: true, data: shown });
  });

  it('a purchase that fails (402, 409, a dependency down) records no sale.completed', async () => {
    // The buyer can pay for the 409 (the balance is checked before the stock), not for the 402.
    const [item, pricey] = await Promise.all([newItem({ priceCents: 300, stockCount: 2 }), newItem({ priceCents: 5000, stockCount: 1 })]);
    const buyer = await newCustomer({ balanceCents: 1000 });
    expect((await api('sales').post('/sales').set(buyer.auth).send({ itemId: item.id, quantity: 3 })).status).toBe(409);
    expect((await api('sales').post('/sales').set(buyer.auth).send({ itemId: pricey.id, quantity: 1 })).status).toBe(402);
    const cutOff = await startInstance('sales', { INVENTORY_URL: 'http://127.0.0.1:1' });
    expect((await api(cutOff.url).post('/sales').set(buyer.auth).send({ itemId: item.id, quantity: 1 })).status).toBe(503);
    const attempts = await sql('sales', 'SELECT id, status::text FROM sales WHERE customer_id = $1', [buyer.id]);
    expect(attempts.map((s) => s.status)).not.toContain('COMPLETED');
    const events = await sql('sales', `SELECT 1 FROM outbox_events WHERE type = 'sale.completed' AND data->>'customerId' = $1`, [buyer.id]);
    expect(events).toEqual([]);
  });

  it('a change that is refused (rolled back) records no event', async () => {
    const item = await newItem({ stockCount: 1 });
    const refused = await api('inventory')
      .post(`/items/${item.id}/stock-adjustments`)
      .set((await admin()).auth)
      .send({ delta: -5 });
    expect(refused.status).toBe(409);
    const events = await sql('inventory', `SELECT type FROM outbox_events WHERE data->>'id' = $1`, [item.id]);
    expect(events.map((e) => e.type)).toEqual(['item.created']);
  });
});

describe('the subscription API', () => {
  it('creates (secret shown once), lists, reads, changes and deletes subscriptions', async () => {
    const { auth } = await admin();
    const created = await api('reviews')
      .post('/webhooks')
      .set(auth)
      .send({ url: 'http://127.0.0.1:9/a', events: ['review.approved', 'review.approved'] });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/webhooks/${created.body.id}`);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toEqual({
      id: expect.any(String),
      url: 'http://127.0.0.1:9/a',
      events: ['review.approved'],
      description: '',
      active: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const { secret, ...shown } = created.body;
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);

    const read = await api('reviews').get(`/webhooks/${shown.id}`).set(auth);
    expect(read.body).toEqual(shown);
    const list = await api('reviews').get('/webhooks?limit=100').set(auth);
    expect(list.body.data).toContainEqual(shown);
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const patched = await api('reviews')
      .patch(`/webhooks/${shown.id}`)
      .set(auth)
      .send({ active: false, events: ['*'], description: 'all' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ active: false, events: ['*'], description: 'all', url: shown.url });

    expect((await api('reviews').delete(`/webhooks/${shown.id}`).set(auth)).status).toBe(204);
    expect((await api('reviews').get(`/webhooks/${shown.id}`).set(auth)).status).toBe(404);
    expect((await api('reviews').delete(`/webhooks/${shown.id}`).set(auth)).status).toBe(404);
  });

  it("refuses URLs that are not http(s), carry credentials, or name another service's events", async () => {
    const { auth } = await admin();
    for (const body of [
      { url: 'ftp://127.0.0.1/x', events: ['*'] },
      { url: 'file:///etc/passwd', events: ['*'] },
      { url: 'http://user:pass@127.0.0.1/x', events: ['*'] },
      { url: 'http://127.0.0.1/x', events: ['sale.completed'] },
      { url: 'http://127.0.0.1/x', events: [] },
      { url: 'http://127.0.0.1/x', events: ['*'], secret: 'whsec_mine' },
    ]) {
      const res = await api('customers').post('/webhooks').set(auth).send(body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'validation_failed' });
    }
  });

  it('lists deliveries newest first with ?status=, and retries one on request (202)', async () => {
    let failing = true;
    const receiver = await startReceiver(() => (failing ? 500 : 200));
    receivers.push(receiver);
    // An instance alone on its own database that gives up after 1 s, so a delivery reaches `failed` quickly.
    const {
      instances: [instance],
    } = await startIsolated('inventory', 1, { WEBHOOK_GIVE_UP_AFTER_MS: '1000' });
    const subscription = await subscribe(instance!.url, receiver, ['item.created']);
    const { auth } = await admin();
    const item = (
      await api(instance!.url)
        .post('/items')
        .set(auth)
        .send({ name: unique('retry-'), category: 'food', priceCents: 1, stockCount: 1 })
    ).body;
    const failed = await eventually('the delivery to fail', async () => {
      const res = await api(instance!.url).get(`/webhooks/${subscription.id}/deliveries?status=failed&limit=100`).set(auth);
      return res.body.data.find((d: { eventType: string; eventId: string }) => receiver.received.some((r) => r.id === d.eventId && r.data.id === item.id));
    });
    expect(failed).toMatchObject({
      eventType: 'item.created',
      status: 'failed',
      lastStatusCode: 500,
      lastError: 'the receiver answered 500',
      nextAttemptAt: null,
      deliveredAt: null,
    });
    expect(failed.attempts).toBeGreaterThanOrEqual(1);

    failing = false;
    const retried = await api(instance!.url).post(`/webhooks/${subscription.id}/deliveries/${failed.id}/retries`).set(auth);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: failed.id, status: 'pending' });
    const delivered = await eventually('the retried delivery', async () => {
      const res = await api(instance!.url).get(`/webhooks/${subscription.id}/deliveries?status=delivered&limit=100`).set(auth);
      return res.body.data.find((d: { id: string }) => d.id === failed.id);
    });
    expect(delivered).toMatchObject({ status: 'delivered', lastStatusCode: 200, lastError: null, attempts: failed.attempts + 1 });
    expect((await api(instance!.url).post(`/webhooks/${subscription.id}/deliveries/${failed.id}/retries`).set(auth)).status).toBe(409);
    expect((await api(instance!.url).post(`/webhooks/${subscription.id}/deliveries/${subscription.id}/retries`).set(auth)).status).toBe(404);
    await unsubscribe(instance!.url, subscription.id);
  });
});

describe('SSRF: without the development switch', () => {
  it('refuses every address that is not global unicast at subscription time (400)', async () => {
    const strict = await startInstance('customers', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    const { auth } = await admin();
    for (const url of [
      'http://127.0.0.1/hook',
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/hook',
      'http://localhost:8080/hook',
      'http://192.168.1.10/hook',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:127.0.0.1]/',
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      // Issue 22: the special-purpose ranges the first guard let through, each reaching an internal address.
      'http://[::ffff:0:127.0.0.1]/',
      'http://[::ffff:0:a9fe:a9fe]/',
      'http://[2001::7f00:1]/',
      'http://[fec0::1]/',
      'http://192.88.99.1/',
      'http://[5f00::1]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[2002:7f00:1::]/',
      'http://100.64.0.1/',
      'http://198.18.0.1/',
      'http://192.0.2.1/',
      // The rest of each blocked range, not only 127.0.0.1 and its spellings.
      'http://127.1.2.3/',
      'http://127.255.255.254:8080/',
      'http://10.255.0.1/',
      'http://172.31.255.254/',
      'http://192.168.255.1/',
      'http://169.254.1.2/',
      'http://100.127.0.1/',
      'http://0.1.2.3/',
      'http://224.1.1.1/',
      'http://255.255.255.255/',
      'http://[fe80::abcd]/',
      'http://[fc00::1]/',
      'http://[fd12::1]/',
      'http://[ff02::1]/',
      'http://[::ffff:127.1.2.3]/',
      'http://[::ffff:10.1.2.3]/',
    ]) {
      const res = await api(strict.url)
        .post('/webhooks')
        .set(auth)
        .send({ url, events: ['*'] });
      expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status: 400, code: 'validation_failed' });
    }
  });

  it('tells public addresses from the rest', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])
      expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: true });
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      'not-an-ip',
    ]) {
      expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: false });
    }
  });
});
