// Retention (issue 23): every service prunes its operational rows on a timer, a batch at a time, and says so on
// /metrics. Rows are aged by SQL (no test can wait a week); everything else is the real services. Each test
// starts an instance that prunes every 200 ms and asserts only on its own rows: rows past their horizon go,
// newer ones and anything still pending stay.
import crypto from 'node:crypto';
import pg from 'pg';
import type { ServiceName } from '@shop/devkit';
import { admin, api, customerBody, eventually, newCustomer, newItem, serviceAuth, sql, startInstance, startIsolated, unique } from '@shop/testkit';

jest.setTimeout(120_000);

const FAST = { RETENTION_INTERVAL_MS: '200' };

/** A sample's value on a /metrics page, by metric name and table label; undefined when absent. */
function sample(page: string, metric: string, table: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`table="${table}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
const metricsOf = async (service: string) => (await api(service).get('/metrics').expect(200)).text;

describe('webhook deliveries and outbox events (the kit, in every service)', () => {
  it('deletes delivered and failed deliveries and dispatched events past EVENT_RETENTION_DAYS; keeps newer ones and pending ones', async () => {
    const {
      instances: [reviews],
      databaseUrl,
    } = await startIsolated('reviews', 1, { ...FAST, EVENT_RETENTION_DAYS: '7' });
    const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      const client = await db.connect();
      let ids: Record<string, string>;
      try {
        // One transaction: a pass between two inserts must not see an old event without its deliveries.
        await client.query('BEGIN');
        const one = async (text: string, params: unknown[]) => (await client.query<{ id: string }>(text, params)).rows[0]!.id;
        // Two subscriptions: one delivery per (subscription, event).
        const subscribe = () =>
          one(
            `INSERT INTO webhook_subscriptions (id, url, events, secret, updated_at) VALUES (gen_random_uuid(), 'https://receiver.invalid/hook', '{*}', $1, now()) RETURNING id`,
            [unique('whsec-')],
          );
        const [first, second] = [await subscribe(), await subscribe()];
        const event = (daysAgo: number, dispatched = true) =>
          one(
            `INSERT INTO outbox_events (type, data, created_at, dispatched_at)
             VALUES ('review.created', '{}', now() - make_interval(days => $1), CASE WHEN $2 THEN now() - make_interval(days => $1) END) RETURNING id`,
            [daysAgo, dispatched],
          );
        // A pending one is due in a day: the worker leaves it alone during the test.
        const delivery = (eventId: string, daysAgo: number, status: 'delivered' | 'failed' | 'pending', subscription = first) =>
          one(
            `INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, status, next_attempt_at, give_up_at, created_at, delivered_at)
             VALUES ($1, $2, 'review.created', $3::"WebhookDeliveryStatus", CASE WHEN $3 = 'pending' THEN now() + interval '1 day' END,
                     now() + interval '1 day', now() - make_interval(days => $4), CASE WHEN $3 = 'delivered' THEN now() - make_interval(days => $4) END)
             RETURNING id`,
            [subscription, eventId, status, daysAgo],
          );
        const oldEvent = await event(8);
        const newEvent = await event(6);
        const oldPendingEvent = await event(9);
        const oldUndispatched = await event(10, false);
        ids = {
          oldEvent,
          newEvent,
          oldPendingEvent,
          oldUndispatched,
          oldDelivered: await delivery(oldEvent, 8, 'delivered'),
          oldFailed: await delivery(oldEvent, 8, 'failed', second),
          newDelivered: await delivery(newEvent, 6, 'delivered'),
          oldPending: await delivery(oldPendingEvent, 9, 'pending'),
          oldPendingEventsDelivered: await delivery(oldPendingEvent, 9, 'delivered', second),
        };
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      // New ids are time-ordered UUIDv7s (migration 20261207000000_retention).
      expect(ids.newEvent).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(ids.newDelivered).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);

      const left = async (table: string, keys: string[]) =>
        (await db.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1::uuid[])`, [keys.map((key) => ids[key])])).rows
          .map((row) => Object.keys(ids).find((key) => ids[key] === row.id))
          .sort();
      const deliveries = ['oldDelivered', 'oldFailed', 'newDelivered', 'oldPending', 'oldPendingEventsDelivered'];
      const events = ['oldEvent', 'newEvent', 'oldPendingEvent', 'oldUndispatched'];
      await eventually(
        'old deliveries and events to be pruned',
        async () => (await left('outbox_events', events)).length === 3 && (await left('webhook_deliveries', deliveries)).length === 2,
      );
      expect(await left('webhook_deliveries', deliveries)).toEqual(['newDelivered', 'oldPending']);
      expect(await left('outbox_events', events)).toEqual(['newEvent', 'oldPendingEvent', 'oldUndispatched']);

      const page = await metricsOf(reviews!.url);
      expect(sample(page, 'retention_rows_removed_total', 'webhook_deliveries')).toBe(3);
      expect(sample(page, 'retention_rows_removed_total', 'outbox_events')).toBe(1);
      expect(sample(page, 'retention_backlog_rows', 'webhook_deliveries')).toBe(0);
      // The gauge counts old dispatched events by their index alone: the one kept for its pending delivery is in it.
      expect(sample(page, 'retention_backlog_rows', 'outbox_events')).toBe(1);
    } finally {
      await db.end();
    }
  });
});

describe('customers: sessions, refresh tokens and rate-limit counters', () => {
  const hash = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

  it('deletes expired sessions with their tokens, and rotated tokens once they could no longer be live; theft detection still works', async () => {
    await startInstance('customers', FAST);
    const { username, password } = customerBody();
    await api('customers').post('/customers').send(customerBody({ username, password })).expect(201);
    const login = async () => (await api('customers').post('/auth/login').send({ username, password }).expect(200)).body.refreshToken as string;
    const refresh = async (token: string) =>
      (await api('customers').post('/auth/refresh').send({ refreshToken: token }).expect(200)).body.refreshToken as string;
    const expired = await login();
    const r0 = await login();
    const r1 = await refresh(r0);
    const r2 = await refresh(r1);
    const sessionOf = async (token: string) =>
      (await sql('customers', 'SELECT session_id FROM refresh_tokens WHERE token_hash = $1', [hash(token)]))[0]?.session_id as string | undefined;
    const [expiredSession, liveSession] = [await sessionOf(expired), await sessionOf(r2)];
    await sql('customers', `UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expiredSession]);
    await sql('customers', `UPDATE refresh_tokens SET rotated_at = now() - interval '31 days' WHERE token_hash = $1`, [hash(r0)]);
    const [gone, kept] = [unique('rl-gone-'), unique('rl-kept-')];
    await sql(
      'customers',
      `INSERT INTO rate_limit_hits (key, hits, reset_at) VALUES ($1, 3, now() - interval '1 second'), ($2, 3, now() + interval '1 hour')`,
      [gone, kept],
    );

    await eventually('the expired session, the old rotated token and the ended counter to go', async () => {
      const [sessions, tokens, counters] = await Promise.all([
        sql('customers', 'SELECT 1 FROM sessions WHERE id = $1', [expiredSession]),
        sql('customers', 'SELECT 1 FROM refresh_tokens WHERE token_hash = ANY($1)', [[hash(expired), hash(r0)]]),
        sql('customers', 'SELECT 1 FROM rate_limit_hits WHERE key = $1', [gone]),
      ]);
      return sessions.length + tokens.length + counters.length === 0;
    });
    expect(await sql('customers', 'SELECT id FROM sessions WHERE id = $1', [liveSession])).toEqual([{ id: liveSession }]);
    expect((await sql('customers', 'SELECT token_hash FROM refresh_tokens WHERE token_hash = ANY($1)', [[hash(r1), hash(r2)]])).length).toBe(2);
    expect(await sql('customers', 'SELECT key FROM rate_limit_hits WHERE key = $1', [kept])).toEqual([{ key: kept }]);
    // r1 was rotated a moment ago and is kept: presented again (a copy), it still ends its session.
    await api('customers').post('/auth/refresh').send({ refreshToken: r1 }).expect(401);
    expect(await sql('customers', 'SELECT 1 FROM sessions WHERE id = $1', [liveSession])).toEqual([]);
    await api('customers').post('/auth/refresh').send({ refreshToken: r2 }).expect(401);
  });
});

describe('sales: idempotency keys and purchase-limit counters', () => {
  it('deletes finished keys past their expiry by the expiry index, and keeps unexpired ones', async () => {
    await startInstance('sales', FAST);
    const customer = crypto.randomUUID();
    const key = (name: string, expires: string) =>
      sql(
        'sales',
        `INSERT INTO idempotency_keys (customer_id, key, request_hash, state, response_status, response_body, expires_at)
         VALUES ($1, $2, $3, 'done', 409, '{}', now() + $4::interval)`,
        [customer, name, 'f'.repeat(64), expires],
      );
    await key('expired', '-1 second');
    await key('expired-long-ago', '-30 days');
    await key('live', '1 hour');
    await sql(
      'sales',
      `INSERT INTO purchase_attempts (customer_id, window_start, attempts) VALUES ($1, date_trunc('minute', now()) - interval '2 minutes', 3)`,
      [customer],
    );
    await eventually('expired keys and ended windows to go', async () => {
      const [keys, windows] = await Promise.all([
        sql('sales', 'SELECT key FROM idempotency_keys WHERE customer_id = $1', [customer]),
        sql('sales', 'SELECT 1 FROM purchase_attempts WHERE customer_id = $1', [customer]),
      ]);
      return keys.length === 1 && windows.length === 0;
    });
    expect(await sql('sales', 'SELECT key FROM idempotency_keys WHERE customer_id = $1', [customer])).toEqual([{ key: 'live' }]);
  });
});

describe('inventory: stock reservations', () => {
  it('deletes reservations (with their lines) past RESERVATION_RETENTION_HOURS after their last change; the movements stay', async () => {
    await startInstance('inventory', FAST);
    const item = await newItem({ stockCount: 10 });
    const reserve = (reference: string) =>
      api('inventory')
        .post('/internal/stock/reservations')
        .set(serviceAuth('inventory'))
        .send({ reference, lines: [{ itemId: item.id, quantity: 1 }] })
        .expect(201);
    const [taken, released, recent] = [unique('sale-'), unique('sale-'), unique('sale-')];
    await reserve(taken);
    await reserve(released);
    await api('inventory').post('/internal/stock/releases').set(serviceAuth('inventory')).send({ reference: released }).expect(200);
    await reserve(recent);
    const movements = async () => (await sql('inventory', 'SELECT count(*)::int AS n FROM stock_movements WHERE item_id = $1', [item.id]))[0].n as number;
    const before = await movements();
    await sql('inventory', `UPDATE stock_reservations SET updated_at = now() - interval '49 hours' WHERE reference = ANY($1)`, [[taken, released]]);
    await eventually(
      'the old reservations to go',
      async () => (await sql('inventory', 'SELECT 1 FROM stock_reservations WHERE reference = ANY($1)', [[taken, released]])).length === 0,
    );
    expect(
      await sql('inventory', 'SELECT reference FROM stock_reservation_lines WHERE reference = ANY($1) ORDER BY reference', [[taken, released, recent]]),
    ).toEqual([{ reference: recent }]);
    expect(await sql('inventory', 'SELECT state::text FROM stock_reservations WHERE reference = $1', [recent])).toEqual([{ state: 'taken' }]);
    expect(await movements()).toBe(before);
    expect(
      (
        await api('inventory')
          .get(`/items/${item.id}`)
          .set((await admin()).auth)
      ).body.stockCount,
    ).toBe(8);
  });
});

describe('customers: voided references', () => {
  it('deletes a void tombstone past VOIDED_REFERENCE_RETENTION_HOURS; a newer one still refuses its late debit', async () => {
    await startInstance('customers', FAST);
    const buyer = await newCustomer({ balanceCents: 1_000 });
    const voidOf = async (reference: string) =>
      expect(
        (await api('customers').post('/internal/wallet/refunds').set(serviceAuth('customers')).send({ customerId: buyer.id, reference }).expect(200)).body,
      ).toMatchObject({ outcome: 'voided' });
    const [old, recent] = [crypto.randomUUID(), crypto.randomUUID()];
    await voidOf(old);
    await voidOf(recent);
    await sql('customers', `UPDATE voided_references SET created_at = now() - interval '49 hours' WHERE reference = $1`, [old]);
    await eventually(
      'the old tombstone to go',
      async () => (await sql('customers', 'SELECT 1 FROM voided_references WHERE reference = $1', [old])).length === 0,
    );
    expect(await sql('customers', 'SELECT reference FROM voided_references WHERE reference = $1', [recent])).toEqual([{ reference: recent }]);
    // The guarantee the tombstone keeps, within its horizon: the late debit is refused and charges nothing.
    const [session] = await sql('customers', 'SELECT id FROM sessions WHERE customer_id = $1 LIMIT 1', [buyer.id]);
    const late = await api('customers')
      .post('/internal/wallet/debits')
      .set(serviceAuth('customers'))
      .send({ customerId: buyer.id, amountCents: 100, reference: recent, sessionId: session.id });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect((await sql('customers', 'SELECT balance_cents::int AS b FROM customers WHERE id = $1', [buyer.id]))[0].b).toBe(1_000);
  });
});

describe('/metrics', () => {
  it.each<[ServiceName, string[]]>([
    ['customers', ['webhook_deliveries', 'outbox_events', 'rate_limit_hits', 'ended_sessions', 'sessions', 'refresh_tokens', 'voided_references']],
    ['inventory', ['webhook_deliveries', 'outbox_events', 'stock_reservations']],
    ['sales', ['webhook_deliveries', 'outbox_events', 'idempotency_keys', 'purchase_attempts']],
    ['reviews', ['webhook_deliveries', 'outbox_events']],
  ])('%s counts the rows retention removed from each of its tables', async (service, tables) => {
    const page = await metricsOf(service);
    for (const table of tables) expect(sample(page, 'retention_rows_removed_total', table)).toEqual(expect.any(Number));
  });
});
