// Traces (issue 24, docs/operations.md "Tracing"): traced instances of customers, inventory, sales and reviews, wired
// to each other, export to an OTLP/HTTP receiver in this process. The shared test system runs untraced (as production
// does without an endpoint): only these instances pay for tracing. Sales and reviews run on databases of their own, so
// that their webhook worker and refund feed are the only ones working on this file's events.
import crypto from 'node:crypto';
import path from 'node:path';
import { applyMigrations, dropDatabase, ensureDatabase, freePort, startService, type ServiceName, type ServiceProcess } from '@shop/devkit';
import { admin, api, eventually, newCustomer, newItem, startOtlpReceiver, system, traceTree, type OtlpReceiver, type ReceivedSpan } from '@shop/testkit';
import { startReceiver, type Receiver } from './support/receiver';
import { subscribe } from './support/webhooks';

let receiver: OtlpReceiver;
const instances: ServiceProcess[] = [];
const logs: Record<string, string> = { customers: '', inventory: '', sales: '', reviews: '' };
const databases: string[] = [];
let sales: string;
let hooks: Receiver;

/** A fresh, migrated database for one traced service. */
async function ownDatabase(name: ServiceName): Promise<string> {
  const base = new URL(system().databaseUrls[name]);
  const databaseUrl = Object.assign(base, { pathname: `${base.pathname}_trace${process.pid}` }).toString();
  await ensureDatabase(databaseUrl);
  databases.push(databaseUrl);
  await applyMigrations(databaseUrl, path.resolve(__dirname, '../prisma', name, 'migrations'));
  return databaseUrl;
}

async function traced(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  const instance = await startService(
    name,
    {
      ...system().env[name],
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    },
    {
      stdio: 'pipe',
      readyTimeoutMs: 90_000,
      onSpawn: (child) => {
        child.stdout!.on('data', (chunk: Buffer) => (logs[name] += chunk.toString()));
        child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      },
    },
  );
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const [customers, inventory] = [await traced('customers', {}), await traced('inventory', {})];
  // A minute's goods cache: the balance check prices from it, so a price raised since makes the debit refuse (402).
  sales = (
    await traced('sales', {
      DATABASE_URL: await ownDatabase('sales'),
      CUSTOMERS_URL: customers.url,
      INVENTORY_URL: inventory.url,
      GOODS_MAX_AGE_MS: '60000',
    })
  ).url;
  await traced('reviews', { DATABASE_URL: await ownDatabase('reviews'), SALES_URL: sales, SALES_EVENTS_POLL_INTERVAL_MS: '200' });
  // A third party's receiver of sales' webhooks (sale.completed).
  hooks = await startReceiver();
  await subscribe(sales, hooks, ['sale.completed']);
}, 300_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await hooks?.close();
  await receiver?.close();
  await Promise.all(databases.map((url) => dropDatabase(url).catch(() => {})));
});

/** A traceparent of our own: the services must join it, so its trace id finds the whole purchase. */
function newTraceparent() {
  const traceId = crypto.randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-01` };
}

/** The trace once every service has exported its part, and the span named `last` with it. */
const traceWith = (traceId: string, services: string[], last: string) =>
  eventually(`a trace with spans of ${services.join(', ')} and ${last}`, () => {
    const spans = receiver.trace(traceId);
    return Promise.resolve(services.every((service) => spans.some((span) => span.service === service)) && spans.some((span) => span.name === last) && spans);
  });

const sagaSpans = (spans: ReceivedSpan[]) =>
  spans
    .filter((span) => span.service === 'sales' && /^(check|reserve|debit|complete|undo .*)$/.test(span.name))
    .map((span) => `${span.name}:${String(span.attributes.outcome)}`);

describe('tracing', () => {
  let item: { id: string };

  it('one purchase is one trace: spans of sales, inventory and customers, the saga steps in order, SQL by statement', async () => {
    item = await newItem({ priceCents: 500, stockCount: 10 });
    const buyer = await newCustomer({ balanceCents: 2_000 });
    const { traceId, traceparent } = newTraceparent();
    const res = await api(sales).post('/sales').set(buyer.auth).set('traceparent', traceparent).send({ itemId: item.id, quantity: 1 });
    expect(res.status).toBe(201);

    const spans = await traceWith(traceId, ['sales', 'inventory', 'customers'], 'complete');
    const tree = traceTree(spans);
    console.log(`one purchase's trace:\n${tree}`);
    expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(['POST /sales', 'POST /internal/stock/reservations']));
    expect(sagaSpans(spans)).toEqual(['check:done', 'reserve:done', 'debit:done', 'complete:done']);
    // Every span belongs to the one trace we started, under one root: ours.
    expect(spans.filter((span) => !spans.some((parent) => parent.spanId === span.parentSpanId)).map((span) => span.parentSpanId)).toEqual([
      traceparent.split('-')[2],
    ]);
    const sql = spans.filter((span) => span.attributes['db.system'] ?? span.attributes['db.system.name']);
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.map((span) => span.service)).toEqual(expect.arrayContaining(['sales', 'inventory', 'customers']));
  });

  it('delivers the sale.completed webhook in a span linked to the span that wrote the event, and sends the receiver no trace context', async () => {
    const buyer = await newCustomer({ balanceCents: 100_000 });
    const { traceId, traceparent } = newTraceparent();
    const res = await api(sales).post('/sales').set(buyer.auth).set('traceparent', traceparent).send({ itemId: item.id, quantity: 1 });
    expect(res.status).toBe(201);
    const delivered = await hooks.waitFor((delivery) => delivery.data?.id === res.body.id, 'the sale.completed of the purchase');
    // Our trace ids stay inside: a third party learns nothing of them (docs/operations.md, "Tracing").
    expect(Object.keys(delivered.headers).filter((name) => /^(traceparent|tracestate|baggage)$/.test(name))).toEqual([]);

    const purchase = await traceWith(traceId, ['sales'], 'complete');
    const delivery = await eventually('the webhook delivery span linked to the purchase', () =>
      Promise.resolve(receiver.spans.find((span) => span.name === 'webhook delivery' && span.links.some((link) => link.traceId === traceId))),
    );
    expect(delivery.service).toBe('sales');
    expect(delivery.attributes.outcome).toBe('delivered');
    // A trace of its own, linked to the very span that wrote the outbox row (inside the saga's `complete`).
    expect(delivery.traceId).not.toBe(traceId);
    const writer = purchase.find((span) => span.spanId === delivery.links[0]!.spanId);
    expect(writer?.name).toBe('complete');
    // Its POST to the receiver has no span of its own: no third-party URL in a trace either.
    expect(receiver.trace(delivery.traceId).filter((span) => span.attributes['url.full'])).toEqual([]);
  });

  it("continues a refund's trace in reviews when reviews consumes its refund.completed from sales' feed", async () => {
    const buyer = await newCustomer({ balanceCents: 100_000 });
    const bought = await api(sales).post('/sales').set(buyer.auth).send({ itemId: item.id, quantity: 2 });
    expect(bought.status).toBe(201);
    const { traceId, traceparent } = newTraceparent();
    const refund = await api(sales)
      .post(`/sales/${bought.body.id}/refunds`)
      .set(buyer.auth)
      .set('traceparent', traceparent)
      .send({ lines: [{ itemId: item.id, quantity: 1 }] });
    expect(refund.status).toBe(201);
    const spans = await traceWith(traceId, ['sales', 'reviews'], 'consume sales.refund.completed');
    console.log(`one refund's trace, with reviews consuming its event:\n${traceTree(spans)}`);
    const consume = spans.find((span) => span.name === 'consume sales.refund.completed')!;
    expect(consume.service).toBe('reviews');
    // Its parent is a span of sales' refund (the one that wrote the event), and reviews' calls to sales are under it.
    expect(spans.find((span) => span.spanId === consume.parentSpanId)?.service).toBe('sales');
    expect(spans.filter((span) => span.parentSpanId === consume.spanId).map((span) => span.name)).toEqual(
      expect.arrayContaining(['GET /internal/customers/:customerId/spend']),
    );
  });

  it('names every span by what it does: calls by method and route template, SQL by statement; no parameter value in any', async () => {
    const buyer = await newCustomer({ balanceCents: 100_000 });
    const { traceId, traceparent } = newTraceparent();
    const res = await api(sales).post('/sales').set(buyer.auth).set('traceparent', traceparent).send({ itemId: item.id, quantity: 1 });
    expect(res.status).toBe(201);
    const spans = await traceWith(traceId, ['sales', 'inventory', 'customers'], 'complete');
    const names = spans.map((span) => span.name);
    // The calls sales makes, each named as the route it calls (undici alone says `GET`/`POST`).
    expect(spans.filter((span) => span.service === 'sales' && span.attributes['url.template']).map((span) => span.name)).toEqual(
      expect.arrayContaining(['GET /internal/customers/:id/balance', 'POST /internal/stock/reservations', 'POST /internal/wallet/debits']),
    );
    expect(names.filter((name) => /^[A-Z]+$/.test(name) || /^[A-Z]+ https?:/.test(name))).toEqual([]);
    // No statement named by its first keyword alone: prepared ones by their name, the rest by what and where.
    const sql = spans.filter((span) => span.name.startsWith('pg.query'));
    expect(sql.map((span) => span.name.split(' ')[0])).toEqual(
      expect.arrayContaining(['pg.query:transaction.begin', 'pg.query:outbox.insert', 'pg.query:transaction.commit']),
    );
    expect(sql.map((span) => span.name).filter((name) => /^pg\.query:[A-Z]+( |$)/.test(name))).toEqual([]);
    // No span is named by an id, and no statement span carries a value: not the buyer, the item or the sale.
    expect(names.filter((name) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(name))).toEqual([]);
    const values = [buyer.id, item.id, res.body.id as string];
    expect(sql.filter((span) => values.some((value) => JSON.stringify(span.attributes).includes(value))).map((span) => span.name)).toEqual([]);
    expect(spans.filter((span) => Object.keys(span.attributes).some((key) => /values|parameters/.test(key))).map((span) => span.name)).toEqual([]);
  });

  it('a purchase refused for funds after its reservation shows the debit refused and `undo reserve`', async () => {
    const buyer = await newCustomer({ balanceCents: 1_000 });
    // sales priced this item at 5 € a moment ago and keeps that price a minute: the check passes, the reservation
    // fixes the new price, and the debit is refused.
    const raised = await api('inventory')
      .patch(`/items/${item.id}`)
      .set((await admin()).auth)
      .send({ priceCents: 50_000 });
    expect(raised.status).toBe(200);
    const { traceId, traceparent } = newTraceparent();
    const res = await api(sales).post('/sales').set(buyer.auth).set('traceparent', traceparent).send({ itemId: item.id, quantity: 1 });
    expect(res.status).toBe(402);
    expect(res.body.traceId).toBe(traceId);

    const spans = await traceWith(traceId, ['sales', 'inventory', 'customers'], 'undo reserve');
    expect(sagaSpans(spans)).toEqual(['check:done', 'reserve:done', 'debit:refused', 'undo reserve:done']);
  });

  it("writes the trace id into the three services' log lines", async () => {
    const buyer = await newCustomer({ balanceCents: 100_000 });
    const { traceId, traceparent } = newTraceparent();
    expect((await api(sales).post('/sales').set(buyer.auth).set('traceparent', traceparent).send({ itemId: item.id, quantity: 1 })).status).toBe(201);
    await eventually('log lines with the trace id in every service', () =>
      Promise.resolve(
        ['customers', 'inventory', 'sales'].every((service) =>
          logs[service]!.split('\n').some((line) => line.includes(`"trace_id":"${traceId}"`) && line.includes('"span_id":"')),
        ),
      ),
    );
  });

  it('puts no header, query or body value into any attribute', async () => {
    const marker = `zq${crypto.randomBytes(6).toString('hex')}`;
    const { traceId, traceparent } = newTraceparent();
    const buyer = await newCustomer({ balanceCents: 100 });
    const res = await api(sales)
      .post(`/sales?note=${marker}`)
      .set(buyer.auth)
      .set('traceparent', traceparent)
      .set('x-custom', marker)
      .set('cookie', `session=${marker}`)
      .set('user-agent', marker)
      .send({ itemId: marker, quantity: 1, password: marker });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.traceId).toBe(traceId);
    const login = newTraceparent();
    await api(sales).get(`/sales?status=${marker}`).set('authorization', `Bearer ${marker}`).set('traceparent', login.traceparent);
    const spans = await eventually('both requests traced', () => {
      const found = [...receiver.trace(traceId), ...receiver.trace(login.traceId)];
      return Promise.resolve(found.some((span) => span.traceId === login.traceId) && found.some((span) => span.traceId === traceId) && found);
    });
    expect(spans.filter((span) => JSON.stringify(span.attributes).includes(marker)).map((span) => span.name)).toEqual([]);
  });
});
