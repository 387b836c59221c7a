// The shop window, read from inventory over HTTP.
import crypto from 'node:crypto';
import { freePort } from '@shop/devkit';
import { admin, api, deleteItem, expectChanged, expectProblem, expectRevalidates, system } from '@shop/testkit';
import { startProxy } from './support/proxy';
import { newItem, startSales, waitFor } from './support/shop';

async function allGoods(): Promise<Array<{ id: string; name: string; priceCents: number }>> {
  const goods = [];
  for (let offset = 0; ; offset += 100) {
    const res = await api('sales').get(`/goods?limit=100&offset=${offset}`);
    expect(res.status).toBe(200);
    goods.push(...res.body.data);
    if (offset + 100 >= res.body.total) return goods;
  }
}

describe('GET /goods', () => {
  it('lists items in stock as {id, name, priceCents}, and leaves out sold-out and deleted ones', async () => {
    const [inStock, soldOut, deleted] = await Promise.all([newItem({ stockCount: 2, priceCents: 321 }), newItem({ stockCount: 0 }), newItem()]);
    await deleteItem(deleted.id);
    const goods = await allGoods();
    expect(goods).toContainEqual({ id: inStock.id, name: inStock.name, priceCents: 321 });
    const ids = goods.map((good) => good.id);
    expect(ids).not.toContain(soldOut.id);
    expect(ids).not.toContain(deleted.id);
  });

  it('answers a page with the given limit and offset, and asks inventory for that same page', async () => {
    const spy = await startProxy(system().urls.inventory);
    try {
      const sales = await startSales({ INVENTORY_URL: spy.url });
      const res = await api(sales.url).get('/goods?limit=7&offset=1').set('X-Request-Id', 'goods-trace');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ limit: 7, offset: 1, total: expect.any(Number) });
      expect(res.body.data.length).toBeLessThanOrEqual(7);
      const reads = spy.seen.filter((req) => req.path.startsWith('/items')); // (its recovery sweep may call too)
      expect(reads.map((req) => [req.path, req.headers['x-request-id']])).toEqual([['/items?inStock=true&limit=7&offset=1', 'goods-trace']]);
      expect((await api('sales').get('/goods')).body).toMatchObject({ limit: 20, offset: 0 });
      await sales.stop();
    } finally {
      await spy.close();
    }
  });

  it('answers 400 for a bad limit or offset', async () => {
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=abc']) {
      expectProblem(await api('sales').get(`/goods?${query}`), 400, 'validation_failed');
    }
  });
});

describe('GET /goods/:id', () => {
  it('answers the full item, as inventory has it', async () => {
    const item = await newItem({ stockCount: 4, priceCents: 999 });
    const res = await api('sales').get(`/goods/${item.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual((await api('inventory').get(`/items/${item.id}`)).body);
    expect(res.body).toMatchObject({ id: item.id, name: item.name, priceCents: 999, stockCount: 4, category: 'electronics' });
  });

  it('answers 404 for unknown and deleted items, 400 for a malformed id', async () => {
    expectProblem(await api('sales').get(`/goods/${crypto.randomUUID()}`), 404, 'not_found');
    const item = await newItem();
    await deleteItem(item.id);
    expectProblem(await api('sales').get(`/goods/${item.id}`), 404, 'not_found');
    expectProblem(await api('sales').get('/goods/not-a-uuid'), 400, 'validation_failed');
  });
});

describe('GET /goods when inventory is unreachable', () => {
  it('answers 503 service_unavailable for the list and for one item', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const sales = await startSales({ INVENTORY_URL: nobody, SERVICE_TIMEOUT_MS: '300', SERVICE_RETRY_ATTEMPTS: '2' });
    expectProblem(await api(sales.url).get('/goods'), 503, 'service_unavailable');
    expectProblem(await api(sales.url).get(`/goods/${crypto.randomUUID()}`), 503, 'service_unavailable');
    await sales.stop();
  });
});

describe('HTTP caching of the goods', () => {
  it('GET /goods/:id answers 304 to its own tag, and 200 with a new tag after a stock adjustment in inventory', async () => {
    const item = await newItem({ stockCount: 5 });
    const path = `/goods/${item.id}`;
    const tag = await expectRevalidates('sales', path);
    await api('inventory')
      .post(`/items/${item.id}/stock-adjustments`)
      .set((await admin()).auth)
      .send({ delta: -1 })
      .expect(200);
    expect((await expectChanged('sales', path, tag)).body.stockCount).toBe(4);
  });

  it('GET /goods answers 304 to its own tag, and 200 with a new tag after an item is patched in inventory', async () => {
    const item = await newItem({ stockCount: 5 });
    const path = '/goods?limit=3';
    const tag = await expectRevalidates('sales', path);
    await api('inventory')
      .patch(`/items/${item.id}`)
      .set((await admin()).auth)
      .send({ priceCents: 77 })
      .expect(200);
    await expectChanged('sales', path, tag);
  });
});

describe('GET /goods: the per-process cache in front of inventory (GOODS_MAX_AGE_MS)', () => {
  /** A sales instance reading inventory through a spy, and the item reads it sent upstream. */
  async function salesWithSpy(goodsMaxAgeMs: number) {
    const spy = await startProxy(system().urls.inventory);
    const sales = await startSales({ INVENTORY_URL: spy.url, GOODS_MAX_AGE_MS: String(goodsMaxAgeMs) });
    const reads = (path: string) => spy.forwarded.filter((req) => req.path === path);
    const stop = async () => {
      await sales.stop();
      await spy.close();
    };
    return { url: sales.url, reads, stop };
  }

  it('at 0 revalidates every read with If-None-Match: inventory answers 304 without a body, sales the same item', async () => {
    const item = await newItem({ stockCount: 6 });
    const shop = await salesWithSpy(0);
    try {
      const first = await api(shop.url).get(`/goods/${item.id}`);
      const second = await api(shop.url).get(`/goods/${item.id}`);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.body).toEqual(first.body);
      expect(second.headers.etag).toBe(first.headers.etag);
      const reads = shop.reads(`/items/${item.id}`);
      expect(reads.map((read) => read.status)).toEqual([200, 304]);
      expect(reads[0]!.headers['if-none-match']).toBeUndefined();
      expect(reads[1]!.headers['if-none-match']).toMatch(/^"[\w-]+"$/);
      await api('inventory')
        .post(`/items/${item.id}/stock-adjustments`)
        .set((await admin()).auth)
        .send({ delta: -2 })
        .expect(200);
      expect((await api(shop.url).get(`/goods/${item.id}`)).body.stockCount).toBe(4);
    } finally {
      await shop.stop();
    }
  });

  it('serves an answer from memory within GOODS_MAX_AGE_MS (a change may show late), then revalidates', async () => {
    const item = await newItem({ stockCount: 6 });
    const shop = await salesWithSpy(60_000);
    try {
      expect((await api(shop.url).get(`/goods/${item.id}`)).body.stockCount).toBe(6);
      await api('inventory')
        .post(`/items/${item.id}/stock-adjustments`)
        .set((await admin()).auth)
        .send({ delta: -1 })
        .expect(200);
      expect((await api(shop.url).get(`/goods/${item.id}`)).body.stockCount).toBe(6);
      expect(shop.reads(`/items/${item.id}`)).toHaveLength(1);
    } finally {
      await shop.stop();
    }
    const short = await salesWithSpy(50);
    try {
      expect((await api(short.url).get(`/goods/${item.id}`)).body.stockCount).toBe(5);
      await api('inventory')
        .post(`/items/${item.id}/stock-adjustments`)
        .set((await admin()).auth)
        .send({ delta: -1 })
        .expect(200);
      // Within 50 ms the old count may still be served; after it, the read revalidates and shows the new one.
      await waitFor(async () => (await api(short.url).get(`/goods/${item.id}`)).body.stockCount === 4, 10_000, 'the new stock');
      expect(short.reads(`/items/${item.id}`).map((read) => read.status)).toContain(200);
    } finally {
      await short.stop();
    }
  });
});
