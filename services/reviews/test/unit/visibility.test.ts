// Who sees which review, and who may act on it: the reviews domain over an in-memory repository, with no
// inventory, sales or database behind it.
import type { User } from '@shop/kit/auth';
import { toReview, type ReviewRecord, type ReviewsRepo, type ReviewStatus } from '../../src/domain/model';
import { reviewsDomain } from '../../src/domain/reviews';

const author: User = { id: 'a0000000-0000-4000-8000-000000000001', username: 'Alice', role: 'customer', sessionId: 's' };
const stranger: User = { id: 'a0000000-0000-4000-8000-000000000002', username: 'bob', role: 'customer', sessionId: 's' };
const moderator: User = { id: 'a0000000-0000-4000-8000-000000000003', username: 'admin', role: 'admin', sessionId: 's' };
/** Someone who later took the author's username: authorship is the id, never the name. */
const namesake: User = { id: 'a0000000-0000-4000-8000-000000000004', username: 'alice', role: 'customer', sessionId: 's' };

function record(status: ReviewStatus, id = `r-${status}`): ReviewRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    itemId: 'item-1',
    username: author.username,
    rating: 4,
    comment: 'ok',
    status,
    verifiedPurchase: false,
    reportCount: 0,
    createdAt: at,
    updatedAt: at,
    customerId: author.id,
    purchaseChecked: true,
  };
}

/** The few repository calls these rules reach; anything else fails the test loudly. */
function fakeRepo(rows: ReviewRecord[]) {
  const byAuthor = jest.fn<ReturnType<ReviewsRepo['byAuthor']>, Parameters<ReviewsRepo['byAuthor']>>((_author, approvedOnly) =>
    Promise.resolve({ data: rows.filter((row) => !approvedOnly || row.status === 'approved'), total: 0, totalIsEstimate: false, nextCursor: null }),
  );
  const used: Partial<ReviewsRepo> = { find: (id) => Promise.resolve(rows.find((row) => row.id === id)), byAuthor };
  const repo = new Proxy(used, {
    get: (target, name: keyof ReviewsRepo) => target[name] ?? (() => Promise.reject(new Error(`unexpected repository call ${String(name)}`))),
  }) as ReviewsRepo;
  return { repo, byAuthor };
}

function domain(rows: ReviewRecord[]) {
  const { repo, byAuthor } = fakeRepo(rows);
  const unused = () => Promise.reject(new Error('no neighbour call expected'));
  const reviews = reviewsDomain({
    reviews: repo,
    inventory: { itemExists: unused },
    sales: { hasPurchased: unused, netSpendCents: unused, refundsAfter: unused },
    customers: { accountCreatedAt: unused },
    logger: { warn: () => undefined } as never,
    reportThreshold: 3,
    reportRules: { minSpendCents: 500, minAccountAgeHours: 24 },
    itemExistsMaxAgeMs: 0,
  });
  return { reviews, byAuthor };
}

describe('reading one review', () => {
  const rows = [record('approved'), record('pending'), record('rejected')];

  it('shows an approved review to anyone, signed in or not', async () => {
    const { reviews } = domain(rows);
    for (const actor of [undefined, stranger, author, moderator]) await expect(reviews.load(actor, 'r-approved')).resolves.toMatchObject({ id: 'r-approved' });
  });

  it.each(['pending', 'rejected'] as const)('shows a %s review to its author and admins only; to others it does not exist', async (status) => {
    const { reviews } = domain(rows);
    await expect(reviews.load(author, `r-${status}`)).resolves.toMatchObject({ status });
    await expect(reviews.load(moderator, `r-${status}`)).resolves.toMatchObject({ status });
    for (const actor of [undefined, stranger, namesake])
      await expect(reviews.load(actor, `r-${status}`)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('acting on a review', () => {
  it('lets only the author edit, and the author or an admin delete', async () => {
    const { reviews } = domain([record('approved')]);
    await expect(reviews.edit(stranger, 'r-approved', { rating: 1 })).rejects.toMatchObject({ status: 403 });
    await expect(reviews.edit(moderator, 'r-approved', { rating: 1 })).rejects.toMatchObject({ status: 403 });
    await expect(reviews.edit(namesake, 'r-approved', { rating: 1 })).rejects.toMatchObject({ status: 403 });
    await expect(reviews.remove(stranger, 'r-approved')).rejects.toMatchObject({ status: 403 });
  });

  it('refuses reviews and reports from admins, and reports of one’s own review', async () => {
    const { reviews } = domain([record('approved')]);
    await expect(reviews.create(moderator, { itemId: 'item-1', rating: 5, comment: '' })).rejects.toMatchObject({ status: 403 });
    await expect(reviews.report(moderator, 'r-approved', 'spam')).rejects.toMatchObject({ status: 403 });
    await expect(reviews.report(author, 'r-approved', 'spam')).rejects.toMatchObject({ status: 403 });
  });
});

describe("a customer's review list", () => {
  it('is approved reviews under the name for strangers, all of their own (by id) for the author, all for admins', async () => {
    const page = { limit: 20, offset: 0 };
    const { reviews, byAuthor } = domain([record('approved'), record('pending')]);
    await reviews.forCustomer(undefined, 'alice', page);
    await reviews.forCustomer(stranger, 'alice', page);
    await reviews.forCustomer(author, 'ALICE', page);
    await reviews.forCustomer(moderator, 'alice', page);
    expect(byAuthor.mock.calls.map(([who, approvedOnly]) => [who, approvedOnly])).toEqual([
      [{ username: 'alice' }, true],
      [{ username: 'alice' }, true],
      [{ customerId: author.id }, false],
      [{ username: 'alice' }, false],
    ]);
  });
});

describe('toReview', () => {
  it('strips what never leaves the service: the author id and whether sales was asked', () => {
    const review = toReview(record('approved'));
    expect(review).not.toHaveProperty('customerId');
    expect(review).not.toHaveProperty('purchaseChecked');
    expect(review).toMatchObject({ id: 'r-approved', username: 'Alice', status: 'approved' });
  });
});
