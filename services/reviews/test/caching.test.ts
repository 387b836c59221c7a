import { admin, api, expectChanged, expectRevalidates, newCustomer } from '@shop/testkit';
import { moderate, newItem, postReview, reviewIn } from './helpers';

const fresh = (path: string) => expectRevalidates('reviews', path);
const changed = (path: string, oldTag: string) => expectChanged('reviews', path, oldTag);

describe("HTTP caching of an item's reviews page", () => {
  it('answers 304 to its own tag, and 200 with a new tag when a review is approved, edited, rejected or deleted', async () => {
    const item = await newItem();
    const path = `/items/${item.id}/reviews`;
    let tag = await fresh(path);

    const author = await newCustomer();
    const review = await postReview(author, item.id, 5);
    // A pending review is not on the page: the tag still matches.
    expect((await api('reviews').get(path).set('If-None-Match', tag)).status).toBe(304);
    await moderate(review.id, 'approve');
    expect((await changed(path, tag)).body.total).toBe(1);

    tag = await fresh(path);
    // An edit sends the review back to moderation: it leaves the page.
    await api('reviews').patch(`/reviews/${review.id}`).set(author.auth).send({ comment: 'even better' }).expect(200);
    expect((await changed(path, tag)).body.total).toBe(0);
    tag = await fresh(path);
    await moderate(review.id, 'approve');
    await changed(path, tag);

    const other = await reviewIn('approved', await newCustomer(), item.id, 2);
    tag = await fresh(path);
    await moderate(other.id, 'reject');
    await changed(path, tag);

    tag = await fresh(path);
    await api('reviews').delete(`/reviews/${review.id}`).set((await admin()).auth).expect(204);
    expect((await changed(path, tag)).body.total).toBe(0);
  });

  it('keeps personal lists out of caches (no-store)', async () => {
    const author = await newCustomer();
    const res = await api('reviews').get(`/customers/${author.username}/reviews`).set(author.auth);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.etag).toBeUndefined();
  });
});
