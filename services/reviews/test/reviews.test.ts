import { admin, api, expectProblem, forgedTokens, newCustomer, sql, type TestCustomer } from '@shop/testkit';
import { missingId, moderate, newItem, postReview, reviewIn, type Status } from './helpers';

let adminAuth: { Authorization: string };
let author: TestCustomer;
let stranger: TestCustomer;
let itemId: string;
beforeAll(async () => {
  adminAuth = (await admin()).auth;
  [author, stranger] = await Promise.all([newCustomer(), newCustomer()]);
  itemId = (await newItem()).id;
});

describe('POST /reviews', () => {
  it('creates a pending review of an existing item: 201, Location, the contract shape, and the author id stored', async () => {
    const { id: item } = await newItem();
    const res = await api('reviews').post('/reviews').set(author.auth).send({ itemId: item, rating: 5, comment: 'Lovely' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/reviews/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.any(String),
      itemId: item,
      username: author.username,
      rating: 5,
      comment: 'Lovely',
      status: 'pending',
      verifiedPurchase: false,
      reportCount: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const [row] = await sql('reviews', 'SELECT customer_id::text, username, rating, status::text FROM reviews WHERE id = $1', [res.body.id]);
    expect(row).toEqual({ customer_id: author.id, username: author.username, rating: 5, status: 'pending' });
  });

  it('defaults the comment to an empty string', async () => {
    const { id: item } = await newItem();
    const res = await api('reviews').post('/reviews').set(author.auth).send({ itemId: item, rating: 3 });
    expect(res.status).toBe(201);
    expect(res.body.comment).toBe('');
  });

  it.each([
    ['an unknown field (status)', { rating: 5, status: 'approved' }],
    ['an unknown field (verifiedPurchase)', { rating: 5, verifiedPurchase: true }],
    ['a rating of 0', { rating: 0 }],
    ['a rating of 6', { rating: 6 }],
    ['a fractional rating', { rating: 3.5 }],
    ['a rating as a string', { rating: '4' }],
    ['a comment over 2000 characters', { rating: 4, comment: 'x'.repeat(2001) }],
    ['no rating', {}],
  ])('rejects %s with 400', async (_name, fields) => {
    const res = await api('reviews')
      .post('/reviews')
      .set(author.auth)
      .send({ itemId, ...fields });
    expectProblem(res, 400, 'validation_failed');
  });

  it('rejects a missing or malformed itemId with 400 and field errors', async () => {
    expectProblem(await api('reviews').post('/reviews').set(author.auth).send({ rating: 4 }), 400, 'validation_failed');
    const res = await api('reviews').post('/reviews').set(author.auth).send({ itemId: 'nope', rating: 4 });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.itemId' })]);
  });

  it('accepts a comment of exactly 2000 characters', async () => {
    const { id: item } = await newItem();
    const res = await api('reviews')
      .post('/reviews')
      .set(stranger.auth)
      .send({ itemId: item, rating: 4, comment: 'y'.repeat(2000) });
    expect(res.status).toBe(201);
  });

  it('answers 401 without a token, or with a forged, expired or garbage one', async () => {
    expectProblem(await api('reviews').post('/reviews').send({ itemId, rating: 4 }), 401, 'unauthorized');
    const forged = forgedTokens({ sub: author.id, username: author.username, role: 'customer' });
    for (const token of Object.values(forged)) {
      const res = await api('reviews').post('/reviews').set('Authorization', `Bearer ${token}`).send({ itemId, rating: 4 });
      expectProblem(res, 401, 'unauthorized');
    }
  });

  it('answers 403 to an admin: admins moderate reviews, they do not write them', async () => {
    const { id: item } = await newItem();
    expectProblem(await api('reviews').post('/reviews').set(adminAuth).send({ itemId: item, rating: 5 }), 403, 'forbidden');
    expect(await sql('reviews', 'SELECT 1 FROM reviews WHERE item_id = $1', [item])).toEqual([]);
  });

  it('answers 404 for an item inventory does not know, and stores nothing', async () => {
    const res = await api('reviews').post('/reviews').set(author.auth).send({ itemId: missingId, rating: 4 });
    expectProblem(res, 404, 'not_found');
    expect(await sql('reviews', 'SELECT 1 FROM reviews WHERE item_id = $1', [missingId])).toEqual([]);
  });

  it('answers 409 to a second review of the same item by the same customer; another customer may still review it', async () => {
    const { id: item } = await newItem();
    await postReview(author, item, 4);
    expectProblem(await api('reviews').post('/reviews').set(author.auth).send({ itemId: item, rating: 1 }), 409, 'conflict');
    expect((await api('reviews').post('/reviews').set(stranger.auth).send({ itemId: item, rating: 2 })).status).toBe(201);
  });

  it('lets only one of two simultaneous reviews by the same customer through (unique index)', async () => {
    const { id: item } = await newItem();
    const c = await newCustomer();
    const answers = await Promise.all([1, 2, 3, 4].map((rating) => api('reviews').post('/reviews').set(c.auth).send({ itemId: item, rating })));
    expect(answers.map((res) => res.status).sort()).toEqual([201, 409, 409, 409]);
    expect(await sql('reviews', 'SELECT 1 FROM reviews WHERE item_id = $1 AND customer_id = $2', [item, c.id])).toHaveLength(1);
  });
});

describe('GET /reviews/:id visibility', () => {
  const cases: Array<[Status, 'anonymous' | 'author' | 'other customer' | 'admin', 200 | 404]> = [
    ['approved', 'anonymous', 200],
    ['approved', 'author', 200],
    ['approved', 'other customer', 200],
    ['approved', 'admin', 200],
    ['pending', 'anonymous', 404],
    ['pending', 'author', 200],
    ['pending', 'other customer', 404],
    ['pending', 'admin', 200],
    ['rejected', 'anonymous', 404],
    ['rejected', 'author', 200],
    ['rejected', 'other customer', 404],
    ['rejected', 'admin', 200],
  ];
  it.each(cases)('%s review, read by %s → %i', async (status, who, expected) => {
    const writer = await newCustomer();
    const review = await reviewIn(status, writer, itemId);
    const auth = { anonymous: {}, author: writer.auth, 'other customer': stranger.auth, admin: adminAuth }[who];
    const res = await api('reviews').get(`/reviews/${review.id}`).set(auth);
    if (expected === 404) return expectProblem(res, 404, 'not_found');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(review);
  });

  it('answers 404 for an unknown id, 400 for a malformed one, 401 for a bad token', async () => {
    expectProblem(await api('reviews').get(`/reviews/${missingId}`), 404, 'not_found');
    expectProblem(await api('reviews').get('/reviews/not-a-uuid'), 400, 'validation_failed');
    expectProblem(await api('reviews').get(`/reviews/${missingId}`).set('Authorization', 'Bearer garbage'), 401, 'unauthorized');
  });
});

describe('PATCH /reviews/:id', () => {
  it('lets the author edit an approved review, which goes back to pending', async () => {
    const writer = await newCustomer();
    const approved = await reviewIn('approved', writer, itemId, 5);
    const res = await api('reviews').patch(`/reviews/${approved.id}`).set(writer.auth).send({ rating: 2, comment: 'Changed my mind' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...approved, rating: 2, comment: 'Changed my mind', status: 'pending', updatedAt: expect.any(String) });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(approved.updatedAt));
    const [row] = await sql('reviews', 'SELECT rating, comment, status::text FROM reviews WHERE id = $1', [approved.id]);
    expect(row).toEqual({ rating: 2, comment: 'Changed my mind', status: 'pending' });
  });

  it('changes only the fields sent', async () => {
    const writer = await newCustomer();
    const review = await postReview(writer, itemId, 4, 'Keep me');
    const res = await api('reviews').patch(`/reviews/${review.id}`).set(writer.auth).send({ rating: 1 });
    expect(res.body).toMatchObject({ rating: 1, comment: 'Keep me' });
    const again = await api('reviews').patch(`/reviews/${review.id}`).set(writer.auth).send({ comment: '' });
    expect(again.body).toMatchObject({ rating: 1, comment: '' });
  });

  it.each([
    ['an empty body', {}],
    ['an unknown field', { status: 'approved' }],
    ['the item', { itemId: missingId }],
    ['a rating of 9', { rating: 9 }],
    ['a comment over 2000 characters', { comment: 'z'.repeat(2001) }],
  ])('rejects %s with 400', async (_name, body) => {
    const review = await postReview(await newCustomer(), itemId);
    expectProblem(await api('reviews').patch(`/reviews/${review.id}`).set(author.auth).send(body), 400, 'validation_failed');
  });

  it('answers 401 without a token', async () => {
    expectProblem(await api('reviews').patch(`/reviews/${missingId}`).send({ rating: 3 }), 401, 'unauthorized');
  });

  it('answers 403 to another customer and to an admin on an approved review, and changes nothing', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId, 5);
    expectProblem(await api('reviews').patch(`/reviews/${review.id}`).set(stranger.auth).send({ rating: 1 }), 403, 'forbidden');
    expectProblem(await api('reviews').patch(`/reviews/${review.id}`).set(adminAuth).send({ rating: 1 }), 403, 'forbidden');
    const [row] = await sql('reviews', 'SELECT rating, status::text FROM reviews WHERE id = $1', [review.id]);
    expect(row).toEqual({ rating: 5, status: 'approved' });
  });

  it('answers 404 to another customer on a pending review (it does not exist for them), and for an unknown id', async () => {
    const review = await postReview(await newCustomer(), itemId);
    expectProblem(await api('reviews').patch(`/reviews/${review.id}`).set(stranger.auth).send({ rating: 1 }), 404, 'not_found');
    expectProblem(await api('reviews').patch(`/reviews/${missingId}`).set(author.auth).send({ rating: 1 }), 404, 'not_found');
  });
});

describe('DELETE /reviews/:id', () => {
  it('lets the author delete their review: 204, then 404', async () => {
    const writer = await newCustomer();
    const review = await postReview(writer, itemId);
    const res = await api('reviews').delete(`/reviews/${review.id}`).set(writer.auth);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(await api('reviews').get(`/reviews/${review.id}`).set(writer.auth), 404, 'not_found');
    expect(await sql('reviews', 'SELECT 1 FROM reviews WHERE id = $1', [review.id])).toEqual([]);
  });

  it('lets an admin delete any review, pending or approved', async () => {
    for (const status of ['pending', 'approved'] as const) {
      const review = await reviewIn(status, await newCustomer(), itemId);
      expect((await api('reviews').delete(`/reviews/${review.id}`).set(adminAuth)).status).toBe(204);
      expect(await sql('reviews', 'SELECT 1 FROM reviews WHERE id = $1', [review.id])).toEqual([]);
    }
  });

  it('answers 403 to another customer on an approved review and 404 on a pending one; the review stays', async () => {
    const approved = await reviewIn('approved', await newCustomer(), itemId);
    const pending = await postReview(await newCustomer(), itemId);
    expectProblem(await api('reviews').delete(`/reviews/${approved.id}`).set(stranger.auth), 403, 'forbidden');
    expectProblem(await api('reviews').delete(`/reviews/${pending.id}`).set(stranger.auth), 404, 'not_found');
    expect(await sql('reviews', 'SELECT 1 FROM reviews WHERE id = ANY($1::uuid[])', [[approved.id, pending.id]])).toHaveLength(2);
  });

  it('answers 401 without a token, 404 for an unknown id, 400 for a malformed one', async () => {
    expectProblem(await api('reviews').delete(`/reviews/${missingId}`), 401, 'unauthorized');
    expectProblem(await api('reviews').delete(`/reviews/${missingId}`).set(author.auth), 404, 'not_found');
    expectProblem(await api('reviews').delete('/reviews/123').set(author.auth), 400, 'validation_failed');
  });
});

describe('POST /reviews/:id/moderation', () => {
  it('approves a review and stores the note, the moderator and the time', async () => {
    const review = await postReview(await newCustomer(), itemId);
    const res = await api('reviews').post(`/reviews/${review.id}/moderation`).set(adminAuth).send({ action: 'approve', note: 'Fine' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...review, status: 'approved', updatedAt: expect.any(String) });
    const rows = await sql('reviews', 'SELECT action::text, note, moderator_username, created_at FROM review_moderations WHERE review_id = $1', [review.id]);
    expect(rows).toEqual([{ action: 'approve', note: 'Fine', moderator_username: 'admin', created_at: expect.any(Date) }]);
  });

  it('rejects a review (note optional) and keeps every decision in the history', async () => {
    const review = await reviewIn('approved', await newCustomer(), itemId);
    const res = await api('reviews').post(`/reviews/${review.id}/moderation`).set(adminAuth).send({ action: 'reject' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('rejected');
    const rows = await sql('reviews', 'SELECT action::text, note FROM review_moderations WHERE review_id = $1 ORDER BY created_at', [review.id]);
    expect(rows).toEqual([
      { action: 'approve', note: '' },
      { action: 'reject', note: '' },
    ]);
  });

  it.each([
    ['an unknown action', { action: 'delete' }],
    ['no action', { note: 'x' }],
    ['an unknown field', { action: 'approve', status: 'approved' }],
    ['a note over 1000 characters', { action: 'approve', note: 'n'.repeat(1001) }],
  ])('rejects %s with 400', async (_name, body) => {
    const review = await postReview(await newCustomer(), itemId);
    expectProblem(await api('reviews').post(`/reviews/${review.id}/moderation`).set(adminAuth).send(body), 400, 'validation_failed');
  });

  it('answers 401 without a token and 403 to customers, even the author', async () => {
    const writer = await newCustomer();
    const review = await postReview(writer, itemId);
    expectProblem(await api('reviews').post(`/reviews/${review.id}/moderation`).send({ action: 'approve' }), 401, 'unauthorized');
    expectProblem(await api('reviews').post(`/reviews/${review.id}/moderation`).set(writer.auth).send({ action: 'approve' }), 403, 'forbidden');
    const [row] = await sql('reviews', 'SELECT status::text FROM reviews WHERE id = $1', [review.id]);
    expect(row.status).toBe('pending');
  });

  it('answers 404 for an unknown review', async () => {
    expectProblem(await api('reviews').post(`/reviews/${missingId}/moderation`).set(adminAuth).send({ action: 'approve' }), 404, 'not_found');
  });
});

describe('GET /reviews (moderation queue)', () => {
  /** The queue's tail, where reviews created just now are: other tests add and remove reviews meanwhile. */
  async function queueTail(query: string) {
    const first = await api('reviews').get(`/reviews?${query}&limit=1`).set(adminAuth);
    const offset = Math.max(0, first.body.total - 60);
    const res = await api('reviews').get(`/reviews?${query}&limit=100&offset=${offset}`).set(adminAuth);
    expect(res.status).toBe(200);
    return res.body.data.map((review: { id: string }) => review.id) as string[];
  }

  it('lists pending reviews by default, longest waiting first; an approved one leaves the queue', async () => {
    const [a, b, c] = [
      await postReview(await newCustomer(), itemId),
      await postReview(await newCustomer(), itemId),
      await postReview(await newCustomer(), itemId),
    ];
    let ids = await queueTail('');
    const positions = [a, b, c].map((review) => ids.indexOf(review.id));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    await moderate(a.id, 'approve');
    ids = await queueTail('status=pending');
    expect(ids).not.toContain(a.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(c.id));
  });

  it('puts a review edited by its author behind the ones that were waiting', async () => {
    const writer = await newCustomer();
    const first = await postReview(writer, itemId);
    const second = await postReview(await newCustomer(), itemId);
    await api('reviews').patch(`/reviews/${first.id}`).set(writer.auth).send({ comment: 'edited' }).expect(200);
    const ids = await queueTail('status=pending');
    expect(ids.indexOf(second.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
  });

  it('lists approved and rejected reviews with ?status=, paginated', async () => {
    const approved = await reviewIn('approved', await newCustomer(), itemId);
    const rejected = await reviewIn('rejected', await newCustomer(), itemId);
    const approvedIds = await queueTail('status=approved');
    expect(approvedIds).toContain(approved.id);
    expect(approvedIds).not.toContain(rejected.id);
    expect(await queueTail('status=rejected')).toContain(rejected.id);
    const res = await api('reviews').get('/reviews?status=approved&limit=1&offset=0').set(adminAuth);
    expect(res.body).toMatchObject({ limit: 1, offset: 0, total: expect.any(Number) });
    expect(res.body.data).toHaveLength(1);
  });

  it('answers 400 for an unknown status or a bad limit, 401 without a token, 403 to a customer', async () => {
    expectProblem(await api('reviews').get('/reviews?status=deleted').set(adminAuth), 400, 'validation_failed');
    expectProblem(await api('reviews').get('/reviews?limit=101').set(adminAuth), 400, 'validation_failed');
    expectProblem(await api('reviews').get('/reviews'), 401, 'unauthorized');
    expectProblem(await api('reviews').get('/reviews').set(author.auth), 403, 'forbidden');
  });
});

describe('GET /customers/:username/reviews', () => {
  let writer: TestCustomer;
  const byStatus: Partial<Record<Status, string>> = {};
  beforeAll(async () => {
    writer = await newCustomer();
    for (const status of ['pending', 'approved', 'rejected'] as const) {
      byStatus[status] = (await reviewIn(status, writer, (await newItem()).id)).id;
    }
  });
  const ids = (res: { body: { data: Array<{ id: string }> } }) => res.body.data.map((review) => review.id).sort();

  it.each([
    ['anonymous', ['approved']],
    ['other customer', ['approved']],
    ['self', ['pending', 'approved', 'rejected']],
    ['admin', ['pending', 'approved', 'rejected']],
  ] as const)('shows %s the right statuses', async (who, statuses) => {
    const auth = { anonymous: {}, 'other customer': stranger.auth, self: writer.auth, admin: adminAuth }[who];
    const res = await api('reviews').get(`/customers/${writer.username}/reviews`).set(auth);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(statuses.map((status) => byStatus[status]!).sort());
    expect(res.body.total).toBe(statuses.length);
  });

  it('lists newest first, paginated, and matches the username case-insensitively', async () => {
    const res = await api('reviews').get(`/customers/${writer.username.toUpperCase()}/reviews?limit=2&offset=0`).set(adminAuth);
    expect(res.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(res.body.data.map((review: { id: string }) => review.id)).toEqual([byStatus.rejected, byStatus.approved]);
    const rest = await api('reviews').get(`/customers/${writer.username}/reviews?limit=2&offset=2`).set(adminAuth);
    expect(rest.body.data.map((review: { id: string }) => review.id)).toEqual([byStatus.pending]);
  });

  it('answers an empty page for a username with no reviews, 400 for an impossible username, 401 for a bad token', async () => {
    const res = await api('reviews').get('/customers/nobody-here-xyz/reviews');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], total: 0, totalIsEstimate: false, limit: 20, offset: 0, nextCursor: null });
    expectProblem(await api('reviews').get('/customers/a!/reviews'), 400, 'validation_failed');
    expectProblem(await api('reviews').get(`/customers/${writer.username}/reviews`).set('Authorization', 'Bearer x.y.z'), 401, 'unauthorized');
  });
});
