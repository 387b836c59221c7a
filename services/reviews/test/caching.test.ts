import { admin, api, deleteItem, expectChanged, expectRevalidates, newCustomer, startInstance } from '@shop/testkit';
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
    await api('reviews')
      .delete(`/reviews/${review.id}`)
      .set((await admin()).auth)
      .expect(204);
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

describe("an item's existence, kept for ITEM_EXISTS_MAX_AGE_MS", () => {
  it("is not asked again within the time: a deleted item's page is still served", async () => {
    const reviews = await startInstance('reviews', { ITEM_EXISTS_MAX_AGE_MS: '60000' });
    try {
      const item = await newItem();
      expect((await api(reviews.url).get(`/items/${item.id}/reviews`)).status).toBe(200);
      await deleteItem(item.id);
      expect((await api(reviews.url).get(`/items/${item.id}/reviews`)).status).toBe(200);
    } finally {
      await reviews.stop();
    }
  });

  it("set small, a deleted item's page turns 404 once it has passed", async () => {
    const reviews = await startInstance('reviews', { ITEM_EXISTS_MAX_AGE_MS: '50' });
    try {
      const item = await newItem();
      expect((await api(reviews.url).get(`/items/${item.id}/reviews`)).status).toBe(200);
      await deleteItem(item.id);
      for (let round = 0; ; round++) {
        const res = await api(reviews.url).get(`/items/${item.id}/reviews`);
        if (res.status === 404) break;
        // Within the 50 ms the cached answer may still serve the page; nothing else may.
        expect(res.status).toBe(200);
        if (round === 200) throw new Error('the page never turned 404');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      await reviews.stop();
    }
  });
});
