import { freePort } from '@shop/devkit';
import { admin, api, expectProblem, newCustomer, sql, startInstance, type TestCustomer } from '@shop/testkit';
import { itemPage, missingId, moderate, newBuyer, newItem, reviewIn, summaryOf } from './helpers';

let itemId: string;
let reporters: TestCustomer[];
beforeAll(async () => {
  itemId = (await newItem()).id;
  reporters = await Promise.all([1, 2, 3, 4].map(() => newBuyer()));
});
const report = (reviewId: string, who: { auth: { Authorization: string } }, reason = 'Spam') =>
  api('reviews').post(`/reviews/${reviewId}/reports`).set(who.auth).send({ reason });

describe('POST /reviews/:id/reports', () => {
  it('records a report by another customer: 201 with the report, and the review counts it', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId);
    const res = await report(review.id, reporters[0]!, 'Advertises another shop');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), reviewId: review.id, reason: 'Advertises another shop', createdAt: expect.any(String) });
    expect(res.headers.location).toBe(`/reviews/${review.id}/reports`);
    const read = await api('reviews').get(`/reviews/${review.id}`);
    expect(read.body).toMatchObject({ reportCount: 1, status: 'approved' });
    const rows = await sql('reviews', 'SELECT reporter_id::text, reason FROM review_reports WHERE review_id = $1', [review.id]);
    expect(rows).toEqual([{ reporter_id: reporters[0]!.id, reason: 'Advertises another shop' }]);
  });

  it('sends an approved review back to pending at the third report (REVIEW_REPORT_THRESHOLD default), out of the summary', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId, 1);
    for (const [i, reporter] of reporters.slice(0, 2).entries()) {
      expect((await report(review.id, reporter)).status).toBe(201);
      const read = await api('reviews').get(`/reviews/${review.id}`);
      expect(read.body).toMatchObject({ status: 'approved', reportCount: i + 1 });
    }
    expect((await report(review.id, reporters[2]!)).status).toBe(201);
    const [row] = await sql('reviews', 'SELECT status::text, report_count FROM reviews WHERE id = $1', [review.id]);
    expect(row).toEqual({ status: 'pending', report_count: 3 });
    expectProblem(await api('reviews').get(`/reviews/${review.id}`), 404, 'not_found');
    expect((await itemPage(itemId)).data.map((r) => r.id)).not.toContain(review.id);
  });

  it('counts reports since the last moderation: a re-approved review needs the threshold again', async () => {
    const { id: item } = await newItem();
    const review = await reviewIn('approved', await newCustomer(), item, 2);
    for (const reporter of reporters.slice(0, 3)) await report(review.id, reporter).expect(201);
    await moderate(review.id, 'approve', 'Reports checked, nothing wrong');
    expect((await itemPage(item)).summary).toEqual(summaryOf([2]));
    await report(review.id, reporters[3]!).expect(201);
    const read = await api('reviews').get(`/reviews/${review.id}`);
    expect(read.body).toMatchObject({ status: 'approved', reportCount: 4 });
  });

  it('counts simultaneous reports exactly and requeues once', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId);
    const many = await Promise.all([1, 2, 3, 4, 5].map(() => newBuyer()));
    const answers = await Promise.all(many.map((reporter) => report(review.id, reporter)));
    // A report that arrives after the third has sent the review back to pending finds it hidden (404):
    // which ones do depends on timing, but every accepted report is counted and nothing else is.
    const statuses = answers.map((res) => res.status);
    expect(statuses.every((status) => status === 201 || status === 404)).toBe(true);
    const accepted = statuses.filter((status) => status === 201).length;
    expect(accepted).toBeGreaterThanOrEqual(3);
    const [row] = await sql('reviews', 'SELECT status::text, report_count FROM reviews WHERE id = $1', [review.id]);
    expect(row).toEqual({ status: 'pending', report_count: accepted });
    const stored = await sql('reviews', 'SELECT count(*)::int AS n FROM review_reports WHERE review_id = $1', [review.id]);
    expect(stored[0].n).toBe(accepted);
  });

  it('answers 404 for a pending or rejected review: it is not visible to the reporter', async () => {
    // Only the author and admins can see non-approved reviews, and neither may report: 404 for everyone else.
    const pending = await reviewIn('pending', await newCustomer(), itemId);
    expectProblem(await report(pending.id, reporters[0]!), 404, 'not_found');
    const rejected = await reviewIn('rejected', await newCustomer(), itemId);
    expectProblem(await report(rejected.id, reporters[0]!), 404, 'not_found');
  });

  it('answers 409 to a second report by the same customer, counting it once', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId);
    await report(review.id, reporters[1]!).expect(201);
    expectProblem(await report(review.id, reporters[1]!, 'Still spam'), 409, 'conflict');
    const [row] = await sql('reviews', 'SELECT report_count FROM reviews WHERE id = $1', [review.id]);
    expect(row.report_count).toBe(1);
  });

  it('answers 403 to the author and to an admin', async () => {
    const writer = await newCustomer();
    const review = await reviewIn('approved', writer, itemId);
    expectProblem(await report(review.id, writer), 403, 'forbidden');
    expectProblem(await report(review.id, await admin()), 403, 'forbidden');
    expect(await sql('reviews', 'SELECT 1 FROM review_reports WHERE review_id = $1', [review.id])).toEqual([]);
  });

  it.each([
    ['an empty reason', { reason: '' }],
    ['a blank reason', { reason: '   ' }],
    ['no reason', {}],
    ['a reason over 500 characters', { reason: 'r'.repeat(501) }],
    ['an unknown field', { reason: 'Spam', weight: 10 }],
  ])('rejects %s with 400', async (_name, body) => {
    const review = await reviewIn('approved', await newCustomer(), itemId);
    expectProblem(await api('reviews').post(`/reviews/${review.id}/reports`).set(reporters[0]!.auth).send(body), 400, 'validation_failed');
  });

  it('answers 401 without a token and 404 for an unknown review', async () => {
    expectProblem(await api('reviews').post(`/reviews/${missingId}/reports`).send({ reason: 'Spam' }), 401, 'unauthorized');
    expectProblem(await report(missingId, reporters[0]!), 404, 'not_found');
  });
});

describe('reports from customers who bought nothing', () => {
  it('are kept and shown to admins, but do not count toward the threshold (three throwaway accounts hide nothing)', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId);
    const throwaway = await Promise.all([1, 2, 3, 4].map(() => newCustomer()));
    for (const reporter of throwaway) await report(review.id, reporter, 'fake').expect(201);
    const read = await api('reviews').get(`/reviews/${review.id}`);
    expect(read.body).toMatchObject({ status: 'approved', reportCount: 4 });
    const listed = await api('reviews')
      .get(`/reviews/${review.id}/reports`)
      .set((await admin()).auth);
    expect(listed.body.data.map((r: { username: string; counts: boolean }) => [r.username, r.counts])).toEqual(throwaway.map((c) => [c.username, false]));
    // Buyers' reports still do: with two of them the third counting report is the buyer's third.
    await report(review.id, reporters[0]!).expect(201);
    await report(review.id, reporters[1]!).expect(201);
    expect((await api('reviews').get(`/reviews/${review.id}`)).body).toMatchObject({ status: 'approved', reportCount: 6 });
    await report(review.id, reporters[2]!).expect(201);
    const [row] = await sql('reviews', 'SELECT status::text, report_count, open_reports FROM reviews WHERE id = $1', [review.id]);
    expect(row).toEqual({ status: 'pending', report_count: 7, open_reports: 3 });
  });

  it('a customer who bought something counts, whatever they bought', async () => {
    const buyer = await newBuyer();
    const review = await reviewIn('approved', await newCustomer(), itemId);
    await report(review.id, buyer).expect(201);
    const listed = await api('reviews')
      .get(`/reviews/${review.id}/reports`)
      .set((await admin()).auth);
    expect(listed.body.data).toEqual([expect.objectContaining({ username: buyer.username, counts: true })]);
  });

  it('answer 503 and store nothing when sales cannot say whether the reporter bought something', async () => {
    const reviews = (await startInstance('reviews', { SALES_URL: `http://127.0.0.1:${await freePort()}`, UPSTREAM_TIMEOUT_MS: '300' })).url;
    const review = await reviewIn('approved', await newCustomer(), itemId);
    expectProblem(await api(reviews).post(`/reviews/${review.id}/reports`).set(reporters[0]!.auth).send({ reason: 'Spam' }), 503, 'service_unavailable');
    expect(await sql('reviews', 'SELECT 1 FROM review_reports WHERE review_id = $1', [review.id])).toEqual([]);
  });
});

describe('GET /reviews/:id/reports', () => {
  it('lists the reports to admins, oldest first; 403 to customers, 401 anonymous, 404 unknown', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId);
    await report(review.id, reporters[0]!, 'first').expect(201);
    await report(review.id, reporters[1]!, 'second').expect(201);
    const res = await api('reviews')
      .get(`/reviews/${review.id}/reports`)
      .set((await admin()).auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 2, limit: 20, offset: 0 });
    expect(res.body.data.map((r: { reason: string; username: string }) => [r.reason, r.username])).toEqual([
      ['first', reporters[0]!.username],
      ['second', reporters[1]!.username],
    ]);
    expectProblem(await api('reviews').get(`/reviews/${review.id}/reports`).set(reporters[0]!.auth), 403, 'forbidden');
    expectProblem(await api('reviews').get(`/reviews/${review.id}/reports`), 401, 'unauthorized');
    expectProblem(
      await api('reviews')
        .get(`/reviews/${missingId}/reports`)
        .set((await admin()).auth),
      404,
      'not_found',
    );
  });
});
