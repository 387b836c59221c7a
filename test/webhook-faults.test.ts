// No event lost under faults: a failing receiver, a receiver that is down, a service killed with a delivery in
// flight, and two replicas sharing the work. Each case runs inventory instances alone on a database of their
// own (startIsolated), so no other instance's worker can deliver in their place, and counts what arrived.
import { admin, api, startIsolated, unique } from '@shop/testkit';
import { startReceiver, type Answer, type Receiver } from './support/receiver';
import { eventually, query, subscribe } from './support/webhooks';

jest.setTimeout(240_000);

const receivers: Receiver[] = [];
async function receiver(answer?: (n: number) => Answer) {
  let n = 0;
  const r = await startReceiver(() => (answer ? answer(++n) : 200));
  receivers.push(r);
  return r;
}
afterAll(() => Promise.all(receivers.map((r) => r.close())));

async function createItem(baseUrl: string) {
  const res = await api(baseUrl)
    .post('/items')
    .set((await admin()).auth)
    .send({ name: unique('fault-'), category: 'food', priceCents: 100, stockCount: 3 });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

const deliveries = (databaseUrl: string) =>
  query<{ event_id: string; item: string; status: string; attempts: number; last_status_code: number | null; last_error: string | null }>(
    databaseUrl,
    `SELECT d.event_id, e.data->>'id' AS item, d.status, d.attempts, d.last_status_code, d.last_error
     FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id`,
  );

it('a receiver that answers 500 for a while, then 200: delivered, every attempt counted', async () => {
  const {
    instances: [inventory],
    databaseUrl,
  } = await startIsolated('inventory', 1);
  const hooks = await receiver((n) => (n <= 3 ? 500 : 200));
  await subscribe(inventory!.url, hooks, ['item.created']);
  const item = await createItem(inventory!.url);
  const delivered = await eventually('the delivery', async () => (await deliveries(databaseUrl)).find((d) => d.item === item.id && d.status === 'delivered'));
  expect(delivered).toMatchObject({ attempts: 4, last_status_code: 200, last_error: null });
  expect(hooks.received.map((r) => [r.id, r.verified, r.answered])).toEqual([
    [delivered.event_id, true, 500],
    [delivered.event_id, true, 500],
    [delivered.event_id, true, 500],
    [delivered.event_id, true, 200],
  ]);
});

it('a receiver that is down: delivered once it is back, within the retry schedule', async () => {
  const {
    instances: [inventory],
    databaseUrl,
  } = await startIsolated('inventory', 1);
  const hooks = await receiver();
  await subscribe(inventory!.url, hooks, ['item.created']);
  await hooks.down();
  const item = await createItem(inventory!.url);
  // `attempts` counts an attempt when it is claimed, before it is sent: the third claim means the first two have
  // ended, refused (the receiver is down), while the third may still be in flight and land after `up()`.
  const failing = await eventually('two refused attempts', async () =>
    (await deliveries(databaseUrl)).find((d) => d.item === item.id && d.attempts >= 3 && d.status === 'pending'),
  );
  expect(failing.last_error).toMatch(/ECONNREFUSED/);
  await hooks.up();
  const delivered = await eventually('the delivery', async () => (await deliveries(databaseUrl)).find((d) => d.item === item.id && d.status === 'delivered'));
  expect(delivered.attempts).toBeGreaterThanOrEqual(failing.attempts);
  expect(hooks.received.map((r) => [r.id, r.verified])).toEqual([[delivered.event_id, true]]);
});

it('the service SIGKILLed with a delivery in flight: delivered after the restart, and the request path never waited', async () => {
  // 1 s per attempt: the lease of a claimed delivery (2 × timeout + 5 s) runs out 7 s after the claim.
  const isolated = await startIsolated('inventory', 1, { WEBHOOK_TIMEOUT_MS: '1000' });
  const [first] = isolated.instances;
  let hang = true;
  const hooks = await receiver(() => (hang ? 'hang' : 200));
  await subscribe(first!.url, hooks, ['item.created']);
  const item = await createItem(first!.url);
  await hooks.waitFor((d) => d.data.id === item.id, 'the first attempt');
  // The receiver is holding that attempt open; requests are still answered meanwhile.
  await createItem(first!.url);
  await first!.kill();
  hang = false;
  const second = await isolated.start();
  const delivered = await eventually('the delivery after the restart', async () =>
    (await deliveries(isolated.databaseUrl)).find((d) => d.item === item.id && d.status === 'delivered'),
  );
  expect(delivered.attempts).toBeGreaterThanOrEqual(2);
  expect(hooks.received.filter((r) => r.data.id === item.id).every((r) => r.id === delivered.event_id && r.verified)).toBe(true);
  await second.stop();
});

it('two replicas: every delivery is made exactly once while both run', async () => {
  const { instances, databaseUrl } = await startIsolated('inventory', 2);
  const hooks = await receiver();
  await subscribe(instances[0]!.url, hooks, ['item.created']);
  const EVENTS = 40;
  await Promise.all(Array.from({ length: EVENTS }, (_, i) => createItem(instances[i % 2]!.url)));
  const rows = await eventually('every delivery', async () => {
    const all = await deliveries(databaseUrl);
    return all.length === EVENTS && all.every((d) => d.status === 'delivered') && all;
  });
  expect(rows.map((d) => d.attempts)).toEqual(Array(EVENTS).fill(1));
  const perEvent = new Map<string, number>();
  for (const r of hooks.received) perEvent.set(r.id, (perEvent.get(r.id) ?? 0) + 1);
  expect({ events: perEvent.size, requests: hooks.received.length }).toEqual({ events: EVENTS, requests: EVENTS });
  expect(hooks.received.every((r) => r.verified)).toBe(true);
});

it('a 410 Gone deactivates the subscription and fails the delivery', async () => {
  const {
    instances: [inventory],
    databaseUrl,
  } = await startIsolated('inventory', 1);
  const hooks = await receiver(() => 410);
  const subscription = await subscribe(inventory!.url, hooks, ['item.created']);
  const item = await createItem(inventory!.url);
  const gone = await eventually('the 410', async () => (await deliveries(databaseUrl)).find((d) => d.item === item.id && d.status === 'failed'));
  expect(gone).toMatchObject({ attempts: 1, last_status_code: 410 });
  const shown = await api(inventory!.url)
    .get(`/webhooks/${subscription.id}`)
    .set((await admin()).auth);
  expect(shown.body.active).toBe(false);
  // Inactive: later events are not fanned out to it.
  const later = await createItem(inventory!.url);
  const [event] = await query(databaseUrl, `SELECT id FROM outbox_events WHERE data->>'id' = $1`, [later.id]);
  await eventually(
    'the later event to be dispatched',
    async () => (await query(databaseUrl, 'SELECT 1 FROM outbox_events WHERE id = $1 AND dispatched_at IS NOT NULL', [event.id])).length > 0,
  );
  expect((await deliveries(databaseUrl)).filter((d) => d.item === later.id)).toEqual([]);
});

it('SSRF at connect time: an address that became private since subscribing is never reached', async () => {
  // The subscription row is written straight into the database, as if the host had resolved to a public
  // address when it was checked and to loopback now (DNS rebinding).
  const {
    instances: [inventory],
    databaseUrl,
  } = await startIsolated('inventory', 1, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
  const hooks = await receiver();
  const port = new URL(hooks.url).port;
  // Issue 22: special-purpose addresses the first guard let through are refused by the guard too, before any connection.
  const literals = [`http://[::ffff:0:127.0.0.1]:${port}/hooks`, `http://[2001::7f00:1]:${port}/hooks`, `http://192.88.99.1:${port}/hooks`];
  for (const url of [`http://127.0.0.1:${port}/hooks`, `http://localhost:${port}/hooks`, `http://127.1.2.3:${port}/hooks`, ...literals]) {
    await query(
      databaseUrl,
      `INSERT INTO webhook_subscriptions (id, url, events, secret, updated_at) VALUES (gen_random_uuid(), $1, '{*}', 'whsec_AAAA', now())`,
      [url],
    );
  }
  const item = await createItem(inventory!.url);
  const refused = await eventually('both attempts refused', async () => {
    const rows = (await deliveries(databaseUrl)).filter((d) => d.item === item.id && d.attempts >= 1 && d.last_error);
    return rows.length === 6 && rows;
  });
  for (const row of refused) expect(row.last_error).toMatch(/not global unicast.*: refused$|EADDRNOTALLOWED/);
  expect(hooks.received).toEqual([]);
});
