import { admin, api, newCustomer, sql, type TestCustomer } from '@shop/testkit';
import { buy, eventually, itemPage, moderate, newItem, postReview, refund, reviewIn, summaryOf, type Summary } from './helpers';

// Issue 23: the rating summary is a row per item, maintained in the transaction of every change to an approved
// review and read by primary key. These tests read that row straight from the database after each kind of change.

/** The item's stored summary row, in the contract's shape (the empty summary when there is no row). */
async function storedSummary(itemId: string): Promise<Summary> {
  const [row] = await sql('reviews', 'SELECT count, rating_sum::int AS sum, r1, r2, r3, r4, r5 FROM review_summaries WHERE item_id = $1', [itemId]);
  const ratings = row ? [1, 2, 3, 4, 5].flatMap((rating) => Array<number>(row[`r${rating}`] as number).fill(rating)) : [];
  if (row) expect(row.sum).toBe(ratings.reduce((a, b) => a + b, 0));
  return summaryOf(ratings);
}

/** The ratings of the item's approved rows, as stored. */
async function approvedRatings(itemId: string): Promise<number[]> {
  const rows = await sql('reviews', "SELECT rating FROM reviews WHERE item_id = $1 AND status = 'approved'", [itemId]);
  return rows.map((row) => row.rating as number);
}

/** The page's summary, the stored row and the approved rows agree, and equal `expected`. */
async function expectSummary(itemId: string, expected: number[]) {
  const page = await itemPage(itemId);
  expect(page.summary).toEqual(summaryOf(expected));
  expect(page.total).toBe(expected.length);
  expect(await storedSummary(itemId)).toEqual(summaryOf(expected));
  expect(summaryOf(await approvedRatings(itemId))).toEqual(summaryOf(expected));
}

const report = (reviewId: string, who: TestCustomer) => api('reviews').post(`/reviews/${reviewId}/reports`).set(who.auth).send({ reason: 'Spam' });

describe('the rating summary row (issue 23: maintained on write, read by primary key)', () => {
  it('is what the item page answers: the page reads the row, it does not aggregate the reviews', async () => {
    const { id: item } = await newItem();
    await reviewIn('approved', await newCustomer(), item, 4);
    await expectSummary(item, [4]);
    // A row that disagrees with the reviews (never written by the service) shows that the page reads it.
    await sql('reviews', 'UPDATE review_summaries SET count = count + 1, rating_sum = rating_sum + 2, r2 = r2 + 1 WHERE item_id = $1', [item]);
    try {
      const page = await itemPage(item);
      expect(page.summary).toEqual(summaryOf([4, 2]));
      expect(page.total).toBe(2);
    } finally {
      await sql('reviews', 'UPDATE review_summaries SET count = count - 1, rating_sum = rating_sum - 2, r2 = r2 - 1 WHERE item_id = $1', [item]);
    }
    await expectSummary(item, [4]);
  });

  it('follows approval, rejection, an edit, re-approval and deletion by author and admin', async () => {
    const { id: item } = await newItem();
    const writer = await newCustomer();
    const other = await newCustomer();
    const mine = await postReview(writer, item, 5);
    await expectSummary(item, []); // pending counts for nothing
    await moderate(mine.id, 'approve');
    await expectSummary(item, [5]);
    const theirs = await reviewIn('approved', other, item, 2);
    await expectSummary(item, [5, 2]);
    await moderate(theirs.id, 'approve'); // approving an approved review changes nothing
    await expectSummary(item, [5, 2]);
    await moderate(theirs.id, 'reject');
    await expectSummary(item, [5]);
    await moderate(theirs.id, 'approve');
    await expectSummary(item, [5, 2]);
    await api('reviews').patch(`/reviews/${mine.id}`).set(writer.auth).send({ rating: 1 }).expect(200);
    await expectSummary(item, [2]); // pending again
    await moderate(mine.id, 'approve');
    await expectSummary(item, [1, 2]);
    await api('reviews').delete(`/reviews/${mine.id}`).set(writer.auth).expect(204);
    await expectSummary(item, [2]);
    await api('reviews')
      .delete(`/reviews/${theirs.id}`)
      .set((await admin()).auth)
      .expect(204);
    await expectSummary(item, []);
    // Deleting a pending or rejected review leaves it alone.
    const rejected = await reviewIn('rejected', await newCustomer(), item, 3);
    await reviewIn('approved', await newCustomer(), item, 4);
    await api('reviews')
      .delete(`/reviews/${rejected.id}`)
      .set((await admin()).auth)
      .expect(204);
    await expectSummary(item, [4]);
  });

  it('drops a review that reports send back to pending and restores it when a refund recount gives it back', async () => {
    const { id: item } = await newItem();
    const review = await reviewIn('approved', await newCustomer(), item, 5);
    await reviewIn('approved', await newCustomer(), item, 3);
    // Three reporters who spent REPORT_MIN_SPEND_CENTS (500): at REVIEW_REPORT_THRESHOLD (3) the review is pending.
    const reporters = await Promise.all(
      [1, 2, 3].map(async () => {
        const customer = await newCustomer({ balanceCents: 500 });
        const bought = await newItem({ priceCents: 500, stockCount: 5 });
        return { customer, saleId: await buy(customer, bought.id) };
      }),
    );
    for (const reporter of reporters) await report(review.id, reporter.customer).expect(201);
    await expectSummary(item, [3]);
    // A refund takes one reporter below the spend: two reports count, the review is approved again.
    await refund(reporters[0]!.customer, reporters[0]!.saleId);
    await eventually('the review to be approved again', async () => (await itemPage(item)).summary.count === 2);
    await expectSummary(item, [5, 3]);
  });

  it('loses no update when the reviews of one item are moderated concurrently', async () => {
    const { id: item } = await newItem();
    const authors = await Promise.all(Array.from({ length: 24 }, () => newCustomer()));
    const reviews = await Promise.all(authors.map((author, i) => postReview(author, item, (i % 5) + 1)));
    const adminAuth = (await admin()).auth;
    const decide = (id: string, action: 'approve' | 'reject') => api('reviews').post(`/reviews/${id}/moderation`).set(adminAuth).send({ action }).expect(200);
    await Promise.all(reviews.map((review) => decide(review.id, 'approve')));
    await expectSummary(
      item,
      reviews.map((review) => review.rating),
    );
    // Then rejections and re-approvals of the same item at once.
    await Promise.all(reviews.map((review, i) => decide(review.id, i % 3 === 0 ? 'reject' : 'approve')));
    await expectSummary(
      item,
      reviews.filter((_r, i) => i % 3 !== 0).map((review) => review.rating),
    );
  });
});
