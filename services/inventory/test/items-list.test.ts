import { admin, api, expectProblem, newItem, unique, type ItemBody } from '@shop/testkit';

type Item = Awaited<ReturnType<typeof newItem>>;
/** Items made for one test share a unique tag in their names, so `q=tag` scopes the list to them. */
async function itemsTagged(tag: string, specs: Partial<ItemBody>[]): Promise<Item[]> {
  const made: Item[] = [];
  for (const spec of specs) made.push(await newItem({ ...spec, name: `${tag} ${spec.name ?? unique('n')}` }));
  return made;
}
const list = (query: Record<string, string | number>) => api('inventory').get('/items').query(query);
const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((item) => item.id);

beforeAll(() => admin());

describe('GET /items', () => {
  it('answers a page of items to anyone, in the contract shape', async () => {
    const tag = unique('t');
    const [item] = await itemsTagged(tag, [{}]);
    const res = await list({ q: tag });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [item], total: 1, totalIsEstimate: false, limit: 20, offset: 0, nextCursor: null });
  });

  it('answers an empty page when nothing matches', async () => {
    const res = await list({ q: unique('nothing') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], total: 0, totalIsEstimate: false, limit: 20, offset: 0, nextCursor: null });
  });

  it('filters by category', async () => {
    const tag = unique('t');
    const [, clothes] = await itemsTagged(tag, [{ category: 'food' }, { category: 'clothes' }, { category: 'electronics' }]);
    const res = await list({ q: tag, category: 'clothes' });
    expect(ids(res)).toEqual([clothes!.id]);
    expect(res.body.total).toBe(1);
  });

  it('matches q in the name or the description, case-insensitively', async () => {
    const tag = unique('t');
    const word = unique('w');
    const [inName, inDescription] = await itemsTagged(tag, [
      { name: `with ${word.toUpperCase()} inside` },
      { description: `described as ${word}` },
      { description: 'something else' },
    ]);
    const res = await list({ q: word.toUpperCase(), sort: 'createdAt' });
    expect(ids(res)).toEqual([inName!.id, inDescription!.id]);
  });

  it('matches q literally: % and _ are not wildcards', async () => {
    const tag = unique('t');
    const [, percent, underscore] = await itemsTagged(tag, [{ name: 'ab' }, { name: '%ab' }, { name: '_b' }]);
    expect(ids(await list({ q: `${tag} %a` }))).toEqual([percent!.id]);
    expect(ids(await list({ q: `${tag} _b` }))).toEqual([underscore!.id]);
  });

  it('filters by minPriceCents and maxPriceCents, both inclusive', async () => {
    const tag = unique('t');
    const [cheap, middle, dear] = await itemsTagged(tag, [{ priceCents: 100 }, { priceCents: 200 }, { priceCents: 300 }]);
    expect(ids(await list({ q: tag, minPriceCents: 200, sort: 'priceCents' }))).toEqual([middle!.id, dear!.id]);
    expect(ids(await list({ q: tag, maxPriceCents: 200, sort: 'priceCents' }))).toEqual([cheap!.id, middle!.id]);
    expect(ids(await list({ q: tag, minPriceCents: 150, maxPriceCents: 250 }))).toEqual([middle!.id]);
    expect(ids(await list({ q: tag, minPriceCents: 200, maxPriceCents: 200 }))).toEqual([middle!.id]);
  });

  it('filters by inStock=true and inStock=false', async () => {
    const tag = unique('t');
    const [soldOut, inStock] = await itemsTagged(tag, [{ stockCount: 0 }, { stockCount: 5 }]);
    expect(ids(await list({ q: tag, inStock: 'true' }))).toEqual([inStock!.id]);
    expect(ids(await list({ q: tag, inStock: 'false' }))).toEqual([soldOut!.id]);
    expect(ids(await list({ q: tag }))).toHaveLength(2);
  });

  it('sorts by name case-insensitively, either way', async () => {
    const tag = unique('t');
    const [b, a, c] = await itemsTagged(tag, [{ name: 'B' }, { name: 'a' }, { name: 'c' }]);
    expect(ids(await list({ q: tag, sort: 'name' }))).toEqual([a!.id, b!.id, c!.id]);
    expect(ids(await list({ q: tag, sort: '-name' }))).toEqual([c!.id, b!.id, a!.id]);
  });

  it('sorts by price either way, breaking ties by id', async () => {
    const tag = unique('t');
    const items = await itemsTagged(
      tag,
      [300, 100, 200, 200, 200, 200, 200].map((priceCents) => ({ priceCents })),
    );
    const ascending = [...items].sort((x, y) => x.priceCents - y.priceCents || (x.id < y.id ? -1 : 1)).map((item) => item.id);
    expect(ids(await list({ q: tag, sort: 'priceCents' }))).toEqual(ascending);
    expect(ids(await list({ q: tag, sort: '-priceCents' }))).toEqual([...ascending].reverse());
  });

  it('sorts by createdAt either way (oldest first by default), breaking ties by id', async () => {
    const tag = unique('t');
    const items = await itemsTagged(tag, [{}, {}, {}, {}]);
    const key = (item: Item) => `${String(item.createdAt)} ${String(item.id)}`;
    const ascending = [...items].sort((x, y) => (key(x) < key(y) ? -1 : 1)).map((item) => item.id);
    expect(ids(await list({ q: tag, sort: 'createdAt' }))).toEqual(ascending);
    expect(ids(await list({ q: tag }))).toEqual(ascending);
    expect(ids(await list({ q: tag, sort: '-createdAt' }))).toEqual([...ascending].reverse());
  });

  it('pages with limit and offset, with the total of all matches', async () => {
    const tag = unique('t');
    const items = await itemsTagged(
      tag,
      [1, 2, 3, 4, 5].map((n) => ({ priceCents: n * 100 })),
    );
    const res = await list({ q: tag, sort: 'priceCents', limit: 2, offset: 2 });
    expect(res.body).toEqual({ data: [items[2], items[3]], total: 5, totalIsEstimate: false, limit: 2, offset: 2, nextCursor: expect.any(String) });
    const past = await list({ q: tag, sort: 'priceCents', limit: 2, offset: 10 });
    expect(past.body).toEqual({ data: [], total: 5, totalIsEstimate: false, limit: 2, offset: 10, nextCursor: null });
  });

  it.each([
    [{ category: 'toys' }],
    [{ sort: 'price' }],
    [{ sort: 'stockCount' }],
    [{ minPriceCents: 'abc' }],
    [{ maxPriceCents: -1 }],
    [{ minPriceCents: 1.5 }],
    [{ inStock: 'yes' }],
    [{ limit: 0 }],
    [{ limit: 101 }],
    [{ offset: -1 }],
    [{ q: '' }],
    [{ minPriceCents: 300, maxPriceCents: 200 }],
  ])('refuses %j with 400 validation_failed', async (query) => {
    const res = await list(query);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors.length).toBeGreaterThan(0);
  });
});
