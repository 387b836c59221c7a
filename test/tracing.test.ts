// Traces (issue 24, docs/operations.md "Tracing"): traced instances of customers, inventory and sales, wired to each
// other, export to an OTLP/HTTP receiver in this process. The shared test system runs untraced (as production does
// without an endpoint): only these instances pay for tracing.
import crypto from 'node:crypto';
import { freePort, startService, type ServiceName, type ServiceProcess } from '@shop/devkit';
import {
  admin,
  api,
  eventually,
  newCustomer,
  newItem,
  sql as sqlOf,
  startOtlpReceiver,
  system,
  traceTree,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@shop/testkit';

let receiver: OtlpReceiver;
const instances: ServiceProcess[] = [];
const logs: Record<string, string> = { customers: '', inventory: '', sales: '' };
let sales: string;

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
  sales = (await traced('sales', { CUSTOMERS_URL: customers.url, INVENTORY_URL: inventory.url, GOODS_MAX_AGE_MS: '60000' })).url;
}, 300_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await receiver?.close();
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
    // Its sale.completed event keeps the trace it was written in: the webhook delivery's span links to it.
    const [event] = await sqlOf('sales', `SELECT traceparent FROM outbox_events WHERE type = 'sale.completed' AND data->>'id' = $1`, [res.body.id]);
    expect(event?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
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
        Object.values(logs).every((text) => text.split('\n').some((line) => line.includes(`"trace_id":"${traceId}"`) && line.includes('"span_id":"'))),
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
