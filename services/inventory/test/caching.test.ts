import { admin, api, deleteItem, expectChanged, expectRevalidates, serviceAuth, unique } from '@shop/testkit';
import { newItem } from './helpers';

let adminAuth: { Authorization: string };
beforeAll(async () => {
  adminAuth = (await admin()).auth;
});

const fresh = (path: string) => expectRevalidates('inventory', path);
const changed = (path: string, oldTag: string) => expectChanged('inventory', path, oldTag);

describe('HTTP caching of GET /items/:id', () => {
  it('answers 304 to its own tag, and 200 with a new tag after a patch and after a stock adjustment', async () => {
    const item = await newItem();
    const path = `/items/${item.id}`;
    let tag = await fresh(path);
    await api('inventory').patch(path).set(adminAuth).send({ priceCents: 4321 }).expect(200);
    expect((await changed(path, tag)).body.priceCents).toBe(4321);
    tag = await fresh(path);
    await api('inventory').post(`${path}/stock-adjustments`).set(adminAuth).send({ delta: -1 }).expect(200);
    expect((await changed(path, tag)).body.stockCount).toBe(item.stockCount - 1);
  });

  it('changes its tag when a sale reserves stock', async () => {
    const item = await newItem();
    const path = `/items/${item.id}`;
    const tag = await fresh(path);
    await api('inventory')
      .post('/internal/stock/reservations')
      .set(serviceAuth('inventory'))
      .send({ reference: crypto.randomUUID(), lines: [{ itemId: item.id, quantity: 1 }] })
      .expect(201);
    expect((await changed(path, tag)).body.stockCount).toBe(item.stockCount - 1);
  });

  it('matches If-None-Match as RFC 9110 says: `*`, a list, a weak prefix; another tag gets 200', async () => {
    const item = await newItem();
    const path = `/items/${item.id}`;
    const tag = await fresh(path);
    expect((await api('inventory').get(path).set('If-None-Match', '*')).status).toBe(304);
    expect((await api('inventory').get(path).set('If-None-Match', `"other", W/${tag}`)).status).toBe(304);
    expect((await api('inventory').get(path).set('If-None-Match', '"other"')).status).toBe(200);
  });

  it('keeps a 404 and every admin write out of caches (no-store)', async () => {
    const missing = await api('inventory').get('/items/00000000-0000-4000-8000-000000000000').set('If-None-Match', '*');
    expect(missing.status).toBe(404);
    expect(missing.headers['cache-control']).toBe('no-store');
    expect(missing.headers.etag).toBeUndefined();
    const created = await api('inventory')
      .post('/items')
      .set(adminAuth)
      .send({ name: unique('cc-'), category: 'food', priceCents: 100, stockCount: 1 });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
  });
});

describe('HTTP caching of GET /items', () => {
  const path = () => `/items?category=electronics&limit=5&q=${encodeURIComponent(unique('nothing-'))}`;

  it('changes the tag of a list when an item is created, patched, adjusted or deleted, even one not on the page', async () => {
    const item = await newItem({ category: 'clothes' });
    const list = path();
    let tag = await fresh(list);
    await api('inventory')
      .patch(`/items/${item.id}`)
      .set(adminAuth)
      .send({ name: unique('renamed-') })
      .expect(200);
    await changed(list, tag);
    tag = await fresh(list);
    await api('inventory').post(`/items/${item.id}/stock-adjustments`).set(adminAuth).send({ delta: 1 }).expect(200);
    await changed(list, tag);
    tag = await fresh(list);
    await deleteItem(item.id);
    await changed(list, tag);
    tag = await fresh(list);
    await newItem();
    await changed(list, tag);
  });

  it('revalidates a page with rows on it the same way', async () => {
    const item = await newItem({ name: unique('paged-') });
    const list = `/items?q=${encodeURIComponent(item.name)}`;
    const tag = await fresh(list);
    await api('inventory').patch(`/items/${item.id}`).set(adminAuth).send({ priceCents: 5 }).expect(200);
    expect((await changed(list, tag)).body.data[0].priceCents).toBe(5);
  });

  it("is private, no-cache when the request carried credentials (an admin's lowStock view is theirs alone)", async () => {
    const res = await api('inventory').get('/items?lowStock=true').set(adminAuth);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-cache');
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
  });

  it('gives different queries different tags', async () => {
    const a = await api('inventory').get('/items?limit=1');
    const b = await api('inventory').get('/items?limit=2');
    expect(a.headers.etag).not.toBe(b.headers.etag);
  });
});
