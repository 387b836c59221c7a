import { admin, api, deleteItem, expectProblem, login, newCustomer, sql, type TestCustomer } from '@shop/testkit';
import { missingId, moderate, newItem, postReview, reviewIn, itemPage, summaryOf } from './helpers';

/** What the stored approved rows of an item say, straight from the reviews database. */
async function storedApproved(itemId: string): Promise<number[]> {
  const rows = await sql('reviews', "SELECT rating FROM reviews WHERE item_id = $1 AND status = 'approved'", [itemId]);
  return rows.map((row) => row.rating as number);
}

describe('GET /items/:itemId/reviews', () => {
  it('lists only approved reviews, newest first, paginated, with total', async () => {
    const { id: item } = await newItem();
    const first = await reviewIn('approved', await newCustomer(), item, 5);
    await reviewIn('pending', await newCustomer(), item, 1);
    await reviewIn('rejected', await newCustomer(), item, 1);
    const second = await reviewIn('approved', await newCustomer(), item, 4);
    const third = await reviewIn('approved', await newCustomer(), item, 4);

    const page1 = await itemPage(item, '?limit=2');
    expect(page1).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page1.data).toEqual([third, second]);
    const page2 = await itemPage(item, '?limit=2&offset=2');
    expect(page2.data).toEqual([first]);
    const beyond = await itemPage(item, '?offset=10');
    expect(beyond.data).toEqual([]);
    expect(beyond.summary.count).toBe(3);
  });

  it('answers an empty page and a null average for an item without approved reviews', async () => {
    const { id: item } = await newItem();
    await postReview(await newCustomer(), item, 5);
    const page = await itemPage(item);
    expect(page).toEqual({
      data: [],
      total: 0,
      totalIsEstimate: false,
      limit: 20,
      offset: 0,
      nextCursor: null,
      summary: { count: 0, average: null, distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } },
    });
  });

  it('answers 404 for an item inventory does not know and 400 for a malformed id or page', async () => {
    expectProblem(await api('reviews').get(`/items/${missingId}/reviews`), 404, 'not_found');
    expectProblem(await api('reviews').get('/items/abc/reviews'), 400, 'validation_failed');
    const { id: item } = await newItem();
    expectProblem(await api('reviews').get(`/items/${item}/reviews?limit=0`), 400, 'validation_failed');
    expectProblem(await api('reviews').get(`/items/${item}/reviews?offset=-1`), 400, 'validation_failed');
  });
});

describe('the rating summary', () => {
  it('counts approvals, ignores pending and rejected reviews, and rounds the average to 2 decimals', async () => {
    const { id: item } = await newItem();
    const ratings = [5, 4, 4];
    for (const rating of ratings) await reviewIn('approved', await newCustomer(), item, rating);
    await reviewIn('pending', await newCustomer(), item, 1);
    await reviewIn('rejected', await newCustomer(), item, 2);
    const { summary } = await itemPage(item);
    expect(summary).toEqual({ count: 3, average: 4.33, distribution: { '1': 0, '2': 0, '3': 0, '4': 2, '5': 1 } });
    expect(summary).toEqual(summaryOf(await storedApproved(item)));
  });

  it('rounds half away from zero (4.375 → 4.38) and shows whole averages as plain numbers', async () => {
    const { id: item } = await newItem();
    const authors = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => newCustomer()));
    const ratings = [5, 5, 5, 4, 4, 4, 4, 4]; // 35 / 8 = 4.375
    await Promise.all(authors.map((author, i) => reviewIn('approved', author, item, ratings[i])));
    expect((await itemPage(item)).summary.average).toBe(4.38);
    const two = await newItem();
    await reviewIn('approved', await newCustomer(), two.id, 3);
    await reviewIn('approved', await newCustomer(), two.id, 5);
    expect((await itemPage(two.id)).summary.average).toBe(4);
  });

  it('drops a review that is rejected after approval', async () => {
    const { id: item } = await newItem();
    const keep = await reviewIn('approved', await newCustomer(), item, 5);
    const drop = await reviewIn('approved', await newCustomer(), item, 1);
    expect((await itemPage(item)).summary).toEqual(summaryOf([5, 1]));
    await moderate(drop.id, 'reject');
    const page = await itemPage(item);
    expect(page.summary).toEqual(summaryOf([5]));
    expect(page.data.map((review) => review.id)).toEqual([keep.id]);
  });

  it('drops an approved review its author edits (it is pending again) until it is approved again, with the new rating', async () => {
    const { id: item } = await newItem();
    const writer = await newCustomer();
    await reviewIn('approved', await newCustomer(), item, 4);
    const edited = await reviewIn('approved', writer, item, 5);
    expect((await itemPage(item)).summary).toEqual(summaryOf([4, 5]));
    await api('reviews').patch(`/reviews/${edited.id}`).set(writer.auth).send({ rating: 1 }).expect(200);
    const during = await itemPage(item);
    expect(during.summary).toEqual(summaryOf([4]));
    expect(during.data.map((review) => review.id)).not.toContain(edited.id);
    await moderate(edited.id, 'approve');
    expect((await itemPage(item)).summary).toEqual(summaryOf([4, 1]));
  });

  it('drops a deleted review, whether its author or an admin deletes it', async () => {
    const { id: item } = await newItem();
    const writer = await newCustomer();
    const byAuthor = await reviewIn('approved', writer, item, 2);
    const byAdmin = await reviewIn('approved', await newCustomer(), item, 3);
    await reviewIn('approved', await newCustomer(), item, 5);
    await api('reviews').delete(`/reviews/${byAuthor.id}`).set(writer.auth).expect(204);
    expect((await itemPage(item)).summary).toEqual(summaryOf([3, 5]));
    await api('reviews')
      .delete(`/reviews/${byAdmin.id}`)
      .set((await admin()).auth)
      .expect(204);
    expect((await itemPage(item)).summary).toEqual(summaryOf([5]));
  });

  it('stays equal to the approved rows under concurrent approvals, rejections and reads', async () => {
    const { id: item } = await newItem();
    const authors = await Promise.all(Array.from({ length: 14 }, () => newCustomer()));
    const reviews = await Promise.all(authors.map((author, i) => postReview(author, item, (i % 5) + 1)));
    const adminAuth = (await admin()).auth;
    const reads: Array<Promise<Awaited<ReturnType<typeof itemPage>>>> = [];
    await Promise.all(
      reviews.map((review, i) => {
        reads.push(itemPage(item));
        const action = i % 4 === 3 ? 'reject' : 'approve';
        return api('reviews').post(`/reviews/${review.id}/moderation`).set(adminAuth).send({ action }).expect(200);
      }),
    );
    // Every read taken while decisions landed describes one consistent set of approved rows.
    for (const page of await Promise.all(reads)) {
      const { count, average, distribution } = page.summary;
      expect(page.total).toBe(count);
      expect(Object.values(distribution).reduce((a, b) => a + b, 0)).toBe(count);
      const sum = Object.entries(distribution).reduce((acc, [rating, n]) => acc + Number(rating) * n, 0);
      expect(average).toBe(count ? Math.round((sum * 100) / count + Number.EPSILON) / 100 : null);
    }
    const expected = reviews.filter((_r, i) => i % 4 !== 3).map((review) => review.rating);
    const final = await itemPage(item, '?limit=100');
    expect(final.summary).toEqual(summaryOf(expected));
    expect(final.summary).toEqual(summaryOf(await storedApproved(item)));
    expect(final.data.map((review) => review.rating).sort()).toEqual([...expected].sort());
  });
});

describe('deleted items and customers', () => {
  // Decision: a deleted item's page answers 404 like the item; its reviews stay stored, readable by id and in
  // their authors' lists.
  it("answers 404 for a deleted item's reviews page, while its reviews stay readable by id and in the author's list", async () => {
    const { id: item } = await newItem();
    const writer = await newCustomer();
    const review = await reviewIn('approved', writer, item, 5);
    expect((await itemPage(item)).summary.count).toBe(1);
    await deleteItem(item);

    expectProblem(await api('reviews').get(`/items/${item}/reviews`), 404, 'not_found');
    const byId = await api('reviews').get(`/reviews/${review.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(review);
    const mine = await api('reviews').get(`/customers/${writer.username}/reviews`);
    expect(mine.body.data).toEqual([review]);
    // and no new review of the deleted item is accepted
    expectProblem(
      await api('reviews')
        .post('/reviews')
        .set((await newCustomer()).auth)
        .send({ itemId: item, rating: 3 }),
      404,
      'not_found',
    );
  });

  // Decision: a deleted customer's reviews stay under the username they were written with and keep counting;
  // authorship is the customer id, so a new account with the same name is not their author.
  it("keeps a deleted customer's approved review on the item page, in the summary and under their username", async () => {
    const { id: item } = await newItem();
    const writer = await newCustomer();
    const approved = await reviewIn('approved', writer, item, 2);
    await api('customers').delete(`/customers/${writer.username}`).set(writer.auth).expect(204);

    const page = await itemPage(item);
    expect(page.data).toEqual([approved]);
    expect(page.summary).toEqual(summaryOf([2]));
    const theirs = await api('reviews').get(`/customers/${writer.username}/reviews`);
    expect(theirs.body.data).toEqual([approved]);
  });

  it('does not make a new account that reuses a deleted username the author of the old reviews', async () => {
    const { id: item } = await newItem();
    const old = await newCustomer();
    const approved = await reviewIn('approved', old, item, 4);
    const pending = await reviewIn('pending', old, (await newItem()).id, 1);
    await api('customers').delete(`/customers/${old.username}`).set(old.auth).expect(204);

    const registered = await api('customers').post('/customers').send({
      username: old.username,
      password: 'another-pass-1',
      firstName: 'New',
      lastName: 'Person',
      age: 40,
      address: '',
      gender: 'other',
      maritalStatus: 'single',
    });
    expect(registered.status).toBe(201);
    const heir: Pick<TestCustomer, 'auth'> = { auth: { Authorization: `Bearer ${await login(old.username, 'another-pass-1')}` } };

    expectProblem(await api('reviews').get(`/reviews/${pending.id}`).set(heir.auth), 404, 'not_found');
    expectProblem(await api('reviews').patch(`/reviews/${approved.id}`).set(heir.auth).send({ rating: 1 }), 403, 'forbidden');
    expectProblem(await api('reviews').delete(`/reviews/${approved.id}`).set(heir.auth), 403, 'forbidden');
    const ownList = await api('reviews').get(`/customers/${old.username}/reviews`).set(heir.auth);
    expect(ownList.body.data.map((review: { id: string }) => review.id)).not.toContain(pending.id);
    // the new account may review the same item: the one-per-item rule is per customer id
    expect((await api('reviews').post('/reviews').set(heir.auth).send({ itemId: item, rating: 5 })).status).toBe(201);
  });
});
