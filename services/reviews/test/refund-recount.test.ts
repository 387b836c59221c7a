import { admin, api, expectProblem, newCustomer, sql, type TestCustomer } from '@shop/testkit';
import { buy, eventually, itemPage, moderate, newItem, postReview, refund, reviewIn, summaryOf } from './helpers';

// REPORT_MIN_SPEND_CENTS is 500 (the default) and REVIEW_REPORT_THRESHOLD 3; the test system sets
// REPORT_MIN_ACCOUNT_AGE_HOURS to 0, so here a report counts by its reporter's net spend alone.

const report = (reviewId: string, who: TestCustomer, reason = 'Spam') => api('reviews').post(`/reviews/${reviewId}/reports`).set(who.auth).send({ reason });
const statusOf = async (reviewId: string) =>
  (await sql('reviews', 'SELECT status::text AS status FROM reviews WHERE id = $1', [reviewId]))[0]?.status as string;
const countsOf = async (reviewId: string) => {
  const res = await api('reviews')
    .get(`/reviews/${reviewId}/reports`)
    .set((await admin()).auth);
  return (res.body.data as Array<{ username: string; counts: boolean }>).map((r) => [r.username, r.counts]);
};

/** A customer who deposits, buys `priceCents` worth of a new item and holds the sale. */
async function shopper(priceCents: number) {
  const customer = await newCustomer({ balanceCents: priceCents });
  const item = await newItem({ priceCents, stockCount: 5 });
  return { customer, itemId: item.id, saleId: await buy(customer, item.id) };
}

describe('reports that money cannot buy (issue 22, item 3)', () => {
  it('three throwaway accounts that buy a 1-cent item, report and refund never hide a review', async () => {
    const { id: itemId } = await newItem();
    const review = await reviewIn('approved', await newCustomer(), itemId, 5);
    const attackers = await Promise.all([1, 2, 3].map(() => shopper(1)));
    for (const attacker of attackers) await report(review.id, attacker.customer).expect(201);
    // Reported three times, and still visible: 1 cent of purchases is not 500.
    expect(await statusOf(review.id)).toBe('approved');
    await api('reviews').get(`/reviews/${review.id}`).expect(200);
    for (const attacker of attackers) await refund(attacker.customer, attacker.saleId);
    for (const attacker of attackers) await eventually('the refund to be handled', () => feedHandled(attacker.saleId));
    expect(await statusOf(review.id)).toBe('approved');
    expect((await itemPage(itemId)).summary).toEqual(summaryOf([5]));
    expect(await countsOf(review.id)).toEqual(attackers.map((a) => [a.customer.username, false]));
  });

  it('buying enough to count, reporting and refunding hides a review only until the refunds: it is approved again, summary restored', async () => {
    const { id: itemId } = await newItem();
    const review = await reviewIn('approved', await newCustomer(), itemId, 5);
    const attackers = await Promise.all([1, 2, 3].map(() => shopper(500)));
    for (const attacker of attackers) await report(review.id, attacker.customer).expect(201);
    expect(await statusOf(review.id)).toBe('pending');
    expectProblem(await api('reviews').get(`/reviews/${review.id}`), 404, 'not_found');
    expect((await itemPage(itemId)).summary).toEqual(summaryOf([]));

    // One refund leaves two counting reports: below the threshold, so the review comes back.
    await refund(attackers[0]!.customer, attackers[0]!.saleId);
    await eventually('the review to be approved again', async () => (await statusOf(review.id)) === 'approved');
    expect((await api('reviews').get(`/reviews/${review.id}`).expect(200)).body).toMatchObject({ status: 'approved', reportCount: 3 });
    expect((await itemPage(itemId)).summary).toEqual(summaryOf([5]));
    expect(await countsOf(review.id)).toEqual(attackers.map((a, i) => [a.customer.username, i !== 0]));
    const [row] = await sql('reviews', 'SELECT open_reports, held_by_reports FROM reviews WHERE id = $1', [review.id]);
    expect(row).toEqual({ open_reports: 2, held_by_reports: false });
  });

  it('a reporter who keeps enough spend after a partial refund still counts', async () => {
    const { id: itemId } = await newItem();
    const review = await reviewIn('approved', await newCustomer(), itemId);
    const reporters = await Promise.all([1, 2].map(() => shopper(500)));
    // The third spends 1000 on two units and gives one back: 500 left, still enough.
    const keeper = await newCustomer({ balanceCents: 1_000 });
    const dear = await newItem({ priceCents: 500, stockCount: 5 });
    const saleId = await buy(keeper, dear.id, 2);
    for (const reporter of [...reporters.map((r) => r.customer), keeper]) await report(review.id, reporter).expect(201);
    expect(await statusOf(review.id)).toBe('pending');
    await refund(keeper, saleId, [{ itemId: dear.id, quantity: 1 }]);
    // The recount has happened once the refund's event is handled: the review is still held, the keeper still counts.
    await eventually('the refund to be handled', () => feedHandled(saleId));
    expect(await statusOf(review.id)).toBe('pending');
    expect(await countsOf(review.id)).toEqual([...reporters.map((r) => [r.customer.username, true]), [keeper.username, true]]);
  });

  it("never undoes a moderator's decision: a review rejected after reports stays rejected when the reporters refund", async () => {
    const { id: itemId } = await newItem();
    const review = await reviewIn('approved', await newCustomer(), itemId);
    const reporters = await Promise.all([1, 2, 3].map(() => shopper(500)));
    for (const reporter of reporters) await report(review.id, reporter.customer).expect(201);
    await moderate(review.id, 'reject', 'The reports were right');
    const watched = await reviewIn('approved', await newCustomer(), itemId);
    for (const reporter of reporters) await report(watched.id, reporter.customer).expect(201);
    for (const reporter of reporters) await refund(reporter.customer, reporter.saleId);
    // `watched` was held by the same three reports: once it is back, every refund has been handled.
    await eventually('the other review to be approved again', async () => (await statusOf(watched.id)) === 'approved');
    expect(await statusOf(review.id)).toBe('rejected');
  });
});

describe('verifiedPurchase follows refunds (issue 22, item 7)', () => {
  const verified = async (reviewId: string) =>
    (await sql('reviews', 'SELECT verified_purchase FROM reviews WHERE id = $1', [reviewId]))[0]?.verified_purchase as boolean;

  it('stays true after a partial refund and turns false after a full refund', async () => {
    const author = await newCustomer({ balanceCents: 10_000 });
    const item = await newItem({ priceCents: 1_000, stockCount: 5 });
    const saleId = await buy(author, item.id, 2);
    const review = await postReview(author, item.id, 4);
    expect(review.verifiedPurchase).toBe(true);

    await refund(author, saleId, [{ itemId: item.id, quantity: 1 }]);
    await eventually('the partial refund to be handled', () => feedHandled(saleId));
    expect(await verified(review.id)).toBe(true);

    await refund(author, saleId);
    await eventually('verifiedPurchase to turn false', async () => (await verified(review.id)) === false);
    const read = await api('reviews').get(`/reviews/${review.id}`).set(author.auth).expect(200);
    expect(read.body.verifiedPurchase).toBe(false);
  });
});

/** Every refund event of this sale has been handled by the shared reviews instance. */
async function feedHandled(saleId: string): Promise<boolean> {
  const events = await sql('sales', `SELECT id::text FROM outbox_events WHERE type = 'refund.completed' AND data->>'saleId' = $1`, [saleId]);
  const handled = await sql('reviews', 'SELECT event_id::text AS id FROM consumed_events WHERE event_id = ANY($1::uuid[])', [events.map((e) => e.id)]);
  return events.length > 0 && handled.length === events.length;
}
