import { admin, api, bearer, expectProblem, newCustomer, serviceCredential, sql, startInstance, startIsolated, url } from '@shop/testkit';
import { freePort } from '@shop/devkit';
import pg from 'pg';
import { buy, eventually, newItem, refund } from './helpers';
import { startGate } from './support/gate';

const asReviews = (callee: string) => bearer(serviceCredential('reviews', callee)!);

/** A customer who spent `cents` on one unit of a new item. */
async function spender(cents: number) {
  const customer = await newCustomer({ balanceCents: cents });
  const item = await newItem({ priceCents: cents, stockCount: 3 });
  return { customer, itemId: item.id, saleId: await buy(customer, item.id) };
}

describe("sales' internal reads for reviews", () => {
  it('GET /internal/customers/:id/spend answers completed purchases net of refunds', async () => {
    const { customer, saleId, itemId } = await spender(700);
    const spend = () => api('sales').get(`/internal/customers/${customer.id}/spend`).set(asReviews('sales'));
    expect((await spend()).body).toEqual({ customerId: customer.id, netCents: 700 });
    await refund(customer, saleId, [{ itemId, quantity: 1 }]);
    expect((await spend()).body).toEqual({ customerId: customer.id, netCents: 0 });
    const stranger = await newCustomer();
    expect((await api('sales').get(`/internal/customers/${stranger.id}/spend`).set(asReviews('sales'))).body.netCents).toBe(0);
  });

  it('GET /internal/events answers refund.completed events after a cursor, oldest first, with the buyer', async () => {
    const first = await spender(300);
    const second = await spender(400);
    await refund(first.customer, first.saleId);
    const read = async (after?: string) => {
      const query = new URLSearchParams({ type: 'refund.completed', limit: '500', ...(after && { after }) });
      const res = await api('sales').get(`/internal/events?${query.toString()}`).set(asReviews('sales')).expect(200);
      return res.body as {
        data: Array<{ id: string; customerId: string; cursor: string; data: { saleId: string; amountCents: number } }>;
        nextCursor: string | null;
      };
    };
    // Read to the end of the feed, then past it: only the later refund is new.
    // The whole suite's refunds are in the feed too: the first one may sit on any page, so every page is kept. The
    // feed holds an event back while an older transaction in sales is still open (a cursor must never pass one that
    // may yet commit before it), so the first refund shows within moments of its answer, not at once.
    const seen: string[] = [];
    let cursor: string | undefined;
    await eventually('the first refund in the feed', async () => {
      for (;;) {
        const page = await read(cursor);
        seen.push(...page.data.map((e) => e.data.saleId));
        cursor = page.nextCursor ?? cursor;
        if (page.data.length < 500) return seen.includes(first.saleId);
      }
    });
    await refund(second.customer, second.saleId);
    const after = await eventually('the second refund in the feed', async () => {
      const next = await read(cursor);
      return next.data.some((e) => e.data.saleId === second.saleId) && next;
    });
    const mine = after.data.find((e) => e.data.saleId === second.saleId)!;
    expect(mine).toMatchObject({ customerId: second.customer.id, data: { amountCents: 400 } });
    expect(after.data.map((e) => e.data.saleId)).not.toContain(first.saleId);
    expect(after.nextCursor).toBe(after.data.at(-1)!.cursor);
    // Nothing new after the last cursor: the same cursor back.
    const drained = await read(after.nextCursor!);
    expect(drained.nextCursor).toBe(drained.data.at(-1)?.cursor ?? after.nextCursor);
  });

  it.each([
    ['a cursor it never answered', 'after=abc'],
    ['an unknown type', 'type=sale.deleted'],
    ['no type', ''],
  ])('answers 400 to %s', async (_name, query) => {
    const full = query.startsWith('type') || query === '' ? query : `type=refund.completed&${query}`;
    expectProblem(await api('sales').get(`/internal/events?${full}`).set(asReviews('sales')), 400, 'validation_failed');
  });
});

describe("customers' account read for reviews", () => {
  it('GET /internal/customers/:id/account answers the id and createdAt only; 404 for no such account', async () => {
    const customer = await newCustomer();
    const res = await api('customers').get(`/internal/customers/${customer.id}/account`).set(asReviews('customers')).expect(200);
    const [row] = await sql('customers', 'SELECT created_at FROM customers WHERE id = $1', [customer.id]);
    expect(res.body).toEqual({ id: customer.id, createdAt: (row.created_at as Date).toISOString() });
    expectProblem(await api('customers').get('/internal/customers/00000000-0000-4000-8000-000000000000/account').set(asReviews('customers')), 404, 'not_found');
  });
});

describe('REPORT_MIN_ACCOUNT_AGE_HOURS', () => {
  it('a report from an account younger than the minimum is kept but does not count; an old enough one counts', async () => {
    // An instance of its own with the age rule on (the test system sets 0); it does not read the refund feed.
    const reviews = (await startInstance('reviews', { REPORT_MIN_ACCOUNT_AGE_HOURS: '1', SALES_EVENTS_POLL_INTERVAL_MS: '0' })).url;
    const { id: itemId } = await newItem();
    const author = await newCustomer();
    const posted = await api(reviews).post('/reviews').set(author.auth).send({ itemId, rating: 5 }).expect(201);
    await api(reviews)
      .post(`/reviews/${posted.body.id}/moderation`)
      .set((await admin()).auth)
      .send({ action: 'approve' })
      .expect(200);
    const young = (await spender(500)).customer;
    const old = (await spender(500)).customer;
    await sql('customers', "UPDATE customers SET created_at = now() - interval '2 hours' WHERE id = $1", [old.id]);
    for (const reporter of [young, old]) {
      await api(reviews).post(`/reviews/${posted.body.id}/reports`).set(reporter.auth).send({ reason: 'Spam' }).expect(201);
    }
    const listed = await api(reviews)
      .get(`/reviews/${posted.body.id}/reports`)
      .set((await admin()).auth)
      .expect(200);
    expect(listed.body.data.map((r: { username: string; counts: boolean }) => [r.username, r.counts])).toEqual([
      [young.username, false],
      [old.username, true],
    ]);
    const [row] = await sql('reviews', 'SELECT open_reports, report_count FROM reviews WHERE id = $1', [posted.body.id]);
    expect(row).toEqual({ open_reports: 1, report_count: 2 });
  });
  it('answers 503 and stores nothing when customers cannot say how old the reporter’s account is', async () => {
    const reviews = (
      await startInstance('reviews', {
        REPORT_MIN_ACCOUNT_AGE_HOURS: '1',
        SALES_EVENTS_POLL_INTERVAL_MS: '0',
        CUSTOMERS_URL: `http://127.0.0.1:${await freePort()}`,
        UPSTREAM_TIMEOUT_MS: '300',
      })
    ).url;
    const { id: itemId } = await newItem();
    const author = await newCustomer();
    const posted = await api('reviews').post('/reviews').set(author.auth).send({ itemId, rating: 4 }).expect(201);
    await api('reviews')
      .post(`/reviews/${posted.body.id}/moderation`)
      .set((await admin()).auth)
      .send({ action: 'approve' })
      .expect(200);
    const reporter = (await spender(500)).customer;
    expectProblem(await api(reviews).post(`/reviews/${posted.body.id}/reports`).set(reporter.auth).send({ reason: 'Spam' }), 503, 'service_unavailable');
    expect(await sql('reviews', 'SELECT 1 FROM review_reports WHERE review_id = $1', [posted.body.id])).toEqual([]);
  });
});

describe('the refund feed consumer', () => {
  it('killed while handling a refund loses no event and applies none twice: a new process takes over and finishes', async () => {
    const gate = await startGate(url('sales'), /\/spend$/);
    // Reviews on a database of its own (no other instance reads its feed), reading sales through the gate.
    const env = { SALES_URL: gate.url, SALES_EVENTS_POLL_INTERVAL_MS: '200', SALES_EVENTS_LEASE_MS: '1000' };
    const { instances, databaseUrl, start } = await startIsolated('reviews', 1, env);
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const query = async (text: string, params: unknown[] = []) => (await db.query(text, params)).rows;
    try {
      const { id: itemId } = await newItem();
      const author = await newCustomer();
      const review = (await api(instances[0]!.url).post('/reviews').set(author.auth).send({ itemId, rating: 3 }).expect(201)).body as { id: string };
      await api(instances[0]!.url)
        .post(`/reviews/${review.id}/moderation`)
        .set((await admin()).auth)
        .send({ action: 'approve' })
        .expect(200);
      const reporters = await Promise.all([1, 2, 3].map(() => spender(500)));
      for (const { customer } of reporters) {
        await api(instances[0]!.url).post(`/reviews/${review.id}/reports`).set(customer.auth).send({ reason: 'Spam' }).expect(201);
      }
      expect((await query('SELECT status::text FROM reviews WHERE id = $1', [review.id]))[0].status).toBe('pending');

      // The consumer reads the three refunds and stops, mid-way, at the first one's spend call; then it is killed.
      gate.close();
      for (const { customer, saleId } of reporters) await refund(customer, saleId);
      await eventually('the consumer to be mid-way through a refund', () => Promise.resolve(gate.held() > 0));
      await instances[0]!.kill();
      gate.open();

      await start();
      // A fresh consumer reads the feed from its start: every refund the rest of the suite made comes before ours,
      // so this waits for a backlog of the suite's size, not for the contract's 5 s for one new refund.
      // (Approved again already below the report threshold, after the first or second refund: so this waits for all
      // three reports to be closed, not for the status alone.)
      await eventually(
        'the review to be approved again, with every report closed',
        async () => {
          const [row] = await query('SELECT status::text, open_reports FROM reviews WHERE id = $1', [review.id]);
          return row.status === 'approved' && row.open_reports === 0;
        },
        90_000,
      );
      const [feed] = await query("SELECT cursor, handled::int FROM event_feeds WHERE name = 'sales.refund.completed'");
      const [xid, id] = (feed.cursor as string).split('.');
      // Every refund event up to the cursor was handled exactly once: none lost, none counted twice.
      const [{ n }] = await sql('sales', `SELECT count(*)::int AS n FROM outbox_events WHERE type = 'refund.completed' AND (xid, id) <= ($1::xid8, $2::uuid)`, [
        xid,
        id,
      ]);
      expect(feed.handled).toBe(n);
      const events = await sql('sales', `SELECT id::text FROM outbox_events WHERE type = 'refund.completed' AND data->>'saleId' = ANY($1)`, [
        reporters.map((r) => r.saleId),
      ]);
      expect(events).toHaveLength(3);
      const consumed = await query('SELECT event_id::text AS id FROM consumed_events WHERE event_id = ANY($1::uuid[])', [events.map((e) => e.id)]);
      expect(consumed).toHaveLength(3);
      expect((await query('SELECT open_reports, report_count FROM reviews WHERE id = $1', [review.id]))[0]).toEqual({ open_reports: 0, report_count: 3 });
    } finally {
      await db.end();
      await gate.stop();
    }
  }, 180_000); // two cold starts of a service on a loaded machine
});
