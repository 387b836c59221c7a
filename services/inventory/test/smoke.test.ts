import { admin, api, unique } from '@shop/testkit';
import { newItem, release, reserve, storedStock } from './helpers';

it('creates, reads, reserves and releases', async () => {
  await admin();
  const item = await newItem({ stockCount: 5 });
  expect((await api('inventory').get(`/items/${item.id}`)).body).toEqual(item);
  const reference = unique('sale-');
  const taken = await reserve({ reference, itemId: item.id, quantity: 2 });
  expect(taken.status).toBe(201);
  expect(taken.body).toEqual({ reference, itemId: item.id, quantity: 2, itemName: item.name, unitPriceCents: item.priceCents, stockCount: 3 });
  expect((await reserve({ reference, itemId: item.id, quantity: 2 })).status).toBe(200);
  expect(await storedStock(item.id)).toBe(3);
  expect((await release(reference)).body).toEqual({ outcome: 'released' });
  expect(await storedStock(item.id)).toBe(5);
});
