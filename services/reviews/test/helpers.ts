import type { Review } from '../src/domain/model';
import { admin, api, eventually as waitFor, newCustomer, newItem as newTestItem, unique, type ItemBody, type TestCustomer } from '@shop/testkit';

export type Status = 'pending' | 'approved' | 'rejected';

/** An item in inventory, created through its API as admin. */
export const newItem = (overrides: Partial<ItemBody> = {}) =>
  newTestItem({ name: unique('Reviewed '), category: 'clothes', priceCents: 1500, description: 'for review tests', stockCount: 20, ...overrides });

export async function postReview(author: TestCustomer, itemId: string, rating = 4, comment?: string) {
  const res = await api('reviews')
    .post('/reviews')
    .set(author.auth)
    .send({ itemId, rating, ...(comment !== undefined && { comment }) });
  if (res.status !== 201) throw new Error(`review failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Review;
}

export async function moderate(reviewId: string, action: 'approve' | 'reject', note?: string) {
  const res = await api('reviews')
    .post(`/reviews/${reviewId}/moderation`)
    .set((await admin()).auth)
    .send({ action, ...(note !== undefined && { note }) });
  if (res.status !== 200) throw new Error(`moderation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Review;
}

/** A review by `author` brought to `status` through the API. */
export async function reviewIn(status: Status, author: TestCustomer, itemId: string, rating = 4) {
  const review = await postReview(author, itemId, rating);
  if (status === 'pending') return review;
  return moderate(review.id, status === 'approved' ? 'approve' : 'reject');
}

export async function itemPage(itemId: string, query = '') {
  const res = await api('reviews').get(`/items/${itemId}/reviews${query}`);
  expect(res.status).toBe(200);
  return res.body as { data: Review[]; total: number; limit: number; offset: number; summary: Summary };
}

export interface Summary {
  count: number;
  average: number | null;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
}

/** The summary a list of approved ratings must produce (average rounded half up to 2 decimals). */
export function summaryOf(ratings: number[]): Summary {
  const distribution = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  for (const rating of ratings) distribution[String(rating) as keyof typeof distribution]++;
  const sum = ratings.reduce((a, b) => a + b, 0);
  return {
    count: ratings.length,
    average: ratings.length ? Math.round((sum * 100) / ratings.length + Number.EPSILON) / 100 : null,
    distribution,
  };
}

/** The contract's Review, as the service declares it. */
export type { Review };

export const missingId = '00000000-0000-4000-8000-000000000000';

let buyable: Promise<{ id: string }> | undefined;
/** A customer who spent REPORT_MIN_SPEND_CENTS (500) on a completed sale: only such customers' reports count toward the threshold. */
export async function newBuyer(): Promise<TestCustomer> {
  buyable ??= newItem({ priceCents: 500, stockCount: 100_000 });
  const customer = await newCustomer({ balanceCents: 1_000 });
  const res = await api('sales')
    .post('/sales')
    .set(customer.auth)
    .send({ itemId: (await buyable).id });
  if (res.status !== 201) throw new Error(`purchase failed: ${res.status} ${JSON.stringify(res.body)}`);
  return customer;
}

/** Buys `quantity` of an item as `customer`; the sale's id. */
export async function buy(customer: TestCustomer, itemId: string, quantity = 1): Promise<string> {
  const res = await api('sales').post('/sales').set(customer.auth).send({ itemId, quantity });
  if (res.status !== 201) throw new Error(`purchase failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Refunds a sale as its buyer: all that is left, or `lines`. */
export async function refund(customer: TestCustomer, saleId: string, lines?: Array<{ itemId: string; quantity: number }>): Promise<void> {
  const res = await api('sales')
    .post(`/sales/${saleId}/refunds`)
    .set(customer.auth)
    .send(lines ? { lines } : {});
  if (res.status !== 201) throw new Error(`refund failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Reviews learns of refunds in the background (the contract promises 5 s): this waits up to 15 s for it. */
export const eventually = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000) => waitFor(what, probe, timeoutMs);
