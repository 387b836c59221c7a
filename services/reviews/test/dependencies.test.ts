import { freePort } from '@shop/devkit';
import { api, expectProblem, newCustomer, sql, startInstance, type TestCustomer } from '@shop/testkit';
import { moderate, newItem, postReview, reviewIn } from './helpers';

/** A port nothing listens on: calls to it are refused at once. */
const closedUrl = async () => `http://127.0.0.1:${await freePort()}`;

async function buy(customer: TestCustomer, itemId: string) {
  const res = await api('sales').post('/sales').set(customer.auth).send({ itemId });
  if (res.status !== 201) throw new Error(`purchase failed: ${res.status} ${JSON.stringify(res.body)}`);
}

describe('verifiedPurchase', () => {
  it('is true when the author has a completed sale of the item', async () => {
    const item = await newItem({ priceCents: 700 });
    const buyer = await newCustomer({ balanceCents: 10_000 });
    await buy(buyer, item.id);
    const review = await postReview(buyer, item.id, 5);
    expect(review.verifiedPurchase).toBe(true);
    const [row] = await sql('reviews', 'SELECT verified_purchase, purchase_checked FROM reviews WHERE id = $1', [review.id]);
    expect(row).toEqual({ verified_purchase: true, purchase_checked: true });
  });

  it('is false without a purchase, and false for a purchase of another item', async () => {
    const [item, other] = [await newItem(), await newItem({ priceCents: 100 })];
    const customer = await newCustomer({ balanceCents: 1_000 });
    await buy(customer, other.id);
    const review = await postReview(customer, item.id, 3);
    expect(review.verifiedPurchase).toBe(false);
    const [row] = await sql('reviews', 'SELECT purchase_checked FROM reviews WHERE id = $1', [review.id]);
    expect(row.purchase_checked).toBe(true);
  });

  it('becomes true at moderation when the author bought the item after writing the review', async () => {
    const item = await newItem({ priceCents: 300 });
    const customer = await newCustomer({ balanceCents: 1_000 });
    const review = await postReview(customer, item.id, 4);
    expect(review.verifiedPurchase).toBe(false);
    await buy(customer, item.id);
    expect((await moderate(review.id, 'approve')).verifiedPurchase).toBe(true);
  });
});

describe('when inventory is unreachable', () => {
  let reviews: string;
  beforeAll(async () => {
    reviews = (await startInstance('reviews', { INVENTORY_URL: await closedUrl(), UPSTREAM_TIMEOUT_MS: '300' })).url;
  });

  it('refuses a new review with 503 service_unavailable and stores nothing', async () => {
    const item = await newItem();
    const customer = await newCustomer();
    const res = await api(reviews).post('/reviews').set(customer.auth).send({ itemId: item.id, rating: 4 });
    expectProblem(res, 503, 'service_unavailable');
    expect(await sql('reviews', 'SELECT 1 FROM reviews WHERE item_id = $1', [item.id])).toEqual([]);
  });

  it("still serves an item's approved reviews and summary from its own rows", async () => {
    const item = await newItem();
    const approved = await reviewIn('approved', await newCustomer(), item.id, 5);
    const res = await api(reviews).get(`/items/${item.id}/reviews`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([approved]);
    expect(res.body.summary).toEqual({ count: 1, average: 5, distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 1 } });
  });
});

describe('when sales is unreachable', () => {
  let reviews: string;
  beforeAll(async () => {
    reviews = (await startInstance('reviews', { SALES_URL: await closedUrl(), UPSTREAM_TIMEOUT_MS: '300' })).url;
  });

  it('accepts the review with verifiedPurchase false, marked to be asked again', async () => {
    const item = await newItem();
    const customer = await newCustomer();
    const res = await api(reviews).post('/reviews').set(customer.auth).send({ itemId: item.id, rating: 4 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending', verifiedPurchase: false });
    const [row] = await sql('reviews', 'SELECT verified_purchase, purchase_checked FROM reviews WHERE id = $1', [res.body.id]);
    expect(row).toEqual({ verified_purchase: false, purchase_checked: false });
  });

  it('sets verifiedPurchase at moderation once sales answers again, for a buyer whose review was written during the outage', async () => {
    const item = await newItem({ priceCents: 200 });
    const buyer = await newCustomer({ balanceCents: 1_000 });
    await buy(buyer, item.id);
    const res = await api(reviews).post('/reviews').set(buyer.auth).send({ itemId: item.id, rating: 5 });
    expect(res.body.verifiedPurchase).toBe(false);
    // the main instance reaches sales
    const moderated = await moderate(res.body.id, 'approve');
    expect(moderated.verifiedPurchase).toBe(true);
    const [row] = await sql('reviews', 'SELECT purchase_checked FROM reviews WHERE id = $1', [res.body.id]);
    expect(row.purchase_checked).toBe(true);
  });

  it('is corrected by the periodic sweep without anyone touching the review', async () => {
    const item = await newItem({ priceCents: 200 });
    const buyer = await newCustomer({ balanceCents: 1_000 });
    await buy(buyer, item.id);
    const res = await api(reviews).post('/reviews').set(buyer.auth).send({ itemId: item.id, rating: 5 });
    expect(res.body.verifiedPurchase).toBe(false);
    await startInstance('reviews', { PURCHASE_RECHECK_INTERVAL_MS: '200' });
    const deadline = Date.now() + 15_000;
    let verified = false;
    while (!verified && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      verified = (await api('reviews').get(`/reviews/${res.body.id}`).set(buyer.auth)).body.verifiedPurchase;
    }
    expect(verified).toBe(true);
  });
});
