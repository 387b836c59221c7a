import type { User } from '@shop/kit/auth';
import { Conflict, Forbidden, NotFound, ServiceUnavailable } from '@shop/kit/errors';
import type { Logger } from '@shop/kit/logging';
import { readCache } from '@shop/kit/read-cache';
import type { CustomersClient } from '../clients/customers.client';
import type { InventoryClient } from '../clients/inventory.client';
import type { SalesClient } from '../clients/sales.client';
import type { Page, PurchaseCheck, ReporterStanding, ReviewRecord, ReviewsRepo, ReviewStatus } from './model';
import { needsAccountAge, reporterStanding, type ReportRules } from './report-rules';

/*
 * Decisions (also in the README's reviews section):
 *
 * - Who posts: customers only. An admin's token gets 403: moderators judge reviews, they do not write them
 *   (and an admin's review would be approved by its own author).
 * - Authorship is the token's `sub` (customer id), stored with the review; the username is a copy taken when
 *   the review was written, like a sale's copy of the item name.
 * - A deleted customer's reviews stay, under the username they were written with, and keep counting in the
 *   item summary: they are statements about the item, and reviews does not hear about account deletions.
 *   Because authorship is the id, a new account that later takes the same username is not their author: it
 *   cannot edit or delete them and does not see their pending or rejected ones.
 * - A deleted item's reviews stay stored (and in their authors' lists, and readable by id), but the item's
 *   page GET /items/:itemId/reviews answers 404 like the item itself. Page reads keep inventory's answer per
 *   process for `itemExistsMaxAgeMs` (ITEM_EXISTS_MAX_AGE_MS), so a deleted item's page turns 404 within that
 *   time, and concurrent reads of one item share one call; writing a review always asks inventory.
 *   When inventory cannot answer, the page is served from our own rows (they are ours; an outage must not
 *   take reviews down), while POST /reviews answers 503: we never accept a review of an item we cannot check.
 * - Sales unreachable while a review is written: the review is accepted with verifiedPurchase false and marked
 *   unchecked; moderation, the author's edits and a periodic sweep ask sales again. Moderation and edits ask
 *   again whatever the last answer was: the author may have bought the item since, or been refunded all of it
 *   (a purchase counts only while its line for the item is not fully refunded).
 * - A report counts toward the threshold only while its reporter has REPORT_MIN_SPEND_CENTS of completed purchases
 *   net of refunds, and only if their account was REPORT_MIN_ACCOUNT_AGE_HOURS old when they reported
 *   (report-rules.ts): three throwaway accounts, or three that buy and refund, must not be able to hide any review.
 *   Other reports are kept and shown to admins, marked as not counting. Sales (spend) and customers (account age)
 *   are asked at each report; when either cannot answer the report is refused with 503, as a review is when
 *   inventory cannot answer: a report stored without knowing whether it counts would have to be decided later.
 *   Each refund recounts its buyer's reports (refund-feed.ts).
 */
export function reviewsDomain(deps: {
  reviews: ReviewsRepo;
  inventory: InventoryClient;
  sales: SalesClient;
  customers: CustomersClient;
  logger: Logger;
  reportThreshold: number;
  reportRules: ReportRules;
  itemExistsMaxAgeMs: number;
}) {
  const { reviews, inventory, sales, customers, logger, reportThreshold, reportRules } = deps;
  // Item ids are bounded to uuids by the route; 10000 entries of a boolean is well under a MB.
  const existence = readCache<boolean>({ maxAgeMs: deps.itemExistsMaxAgeMs, maxEntries: 10_000 });

  const isAuthor = (actor: User | undefined, review: ReviewRecord) => actor?.id === review.customerId;
  const canSee = (actor: User | undefined, review: ReviewRecord) => review.status === 'approved' || actor?.role === 'admin' || isAuthor(actor, review);

  /** The review as this caller may see it; one not visible to them does not exist for them (404). */
  async function load(actor: User | undefined, id: string): Promise<ReviewRecord> {
    const review = await reviews.find(id);
    if (!review || !canSee(actor, review)) throw new NotFound('No such review');
    return review;
  }

  /** Without an item: has the customer bought anything at all. */
  async function askSales(customerId: string, itemId: string | undefined, requestId?: string): Promise<PurchaseCheck> {
    try {
      return { verified: await sales.hasPurchased(customerId, itemId, requestId), checked: true };
    } catch (error) {
      logger.warn({ err: error, customerId, itemId }, 'sales could not say whether the item was bought; asking again later');
      return { verified: false, checked: false };
    }
  }

  /** Ask sales again; undefined (leave as is) when sales cannot answer. */
  async function recheck(review: ReviewRecord, requestId?: string): Promise<PurchaseCheck | undefined> {
    const check = await askSales(review.customerId, review.itemId, requestId);
    return check.checked ? check : undefined;
  }

  /** Whether this reporter's reports count now: their net spend (sales) and account age (customers); 503 when either cannot say. */
  async function weigh(customerId: string, requestId?: string): Promise<ReporterStanding> {
    try {
      const [netSpendCents, accountCreatedAt] = await Promise.all([
        sales.netSpendCents(customerId, requestId),
        needsAccountAge(reportRules) ? customers.accountCreatedAt(customerId, requestId) : undefined,
      ]);
      return reporterStanding({ netSpendCents, accountCreatedAt }, reportRules, new Date());
    } catch (error) {
      logger.warn({ err: error, customerId }, 'could not weigh a report: sales or customers did not answer');
      throw new ServiceUnavailable('Sales or customers is unavailable, so the report cannot be weighed; try again shortly');
    }
  }

  /** `cached`: a page read may use an answer up to itemExistsMaxAgeMs old; a failure is never kept. */
  async function itemExists(itemId: string, requestId?: string, cached = false): Promise<boolean | undefined> {
    try {
      const ask = () => inventory.itemExists(itemId, requestId);
      return await (cached ? existence.get(itemId, ask) : ask());
    } catch (error) {
      logger.warn({ err: error, itemId }, 'inventory could not say whether the item exists');
      return undefined;
    }
  }

  return {
    load,

    async create(actor: User, input: { itemId: string; rating: number; comment: string }, requestId?: string) {
      if (actor.role !== 'customer') throw new Forbidden('Only customers write reviews; admins moderate them');
      const exists = await itemExists(input.itemId, requestId);
      if (exists === undefined) throw new ServiceUnavailable('Inventory is unavailable, so the item cannot be checked; try again shortly');
      if (!exists) throw new NotFound(`No item ${input.itemId}`);
      const purchase = await askSales(actor.id, input.itemId, requestId);
      const created = await reviews.create({ ...input, customerId: actor.id, username: actor.username, purchase });
      if (!created) throw new Conflict('You have already reviewed this item; edit that review instead');
      return created;
    },

    async edit(actor: User, id: string, changes: { rating?: number; comment?: string }, requestId?: string) {
      const review = await load(actor, id);
      if (!isAuthor(actor, review)) throw new Forbidden('Only the author may edit a review');
      const edited = await reviews.edit(id, changes, await recheck(review, requestId));
      if (!edited) throw new NotFound('No such review');
      return edited;
    },

    async remove(actor: User, id: string) {
      const review = await load(actor, id);
      if (!isAuthor(actor, review) && actor.role !== 'admin') throw new Forbidden('Only the author or an admin may delete a review');
      if (!(await reviews.remove(id))) throw new NotFound('No such review');
    },

    async moderate(admin: User, id: string, decision: { action: 'approve' | 'reject'; note: string }, requestId?: string) {
      const review = await load(admin, id);
      const moderated = await reviews.moderate(id, { ...decision, moderatorId: admin.id, moderatorUsername: admin.username }, await recheck(review, requestId));
      if (!moderated) throw new NotFound('No such review');
      return moderated;
    },

    async report(actor: User, id: string, reason: string, requestId?: string) {
      if (actor.role !== 'customer') throw new Forbidden('Only customers report reviews; admins moderate them');
      const review = await load(actor, id);
      if (isAuthor(actor, review)) throw new Forbidden('You cannot report your own review');
      const standing = await weigh(actor.id, requestId);
      const result = await reviews.report(id, { id: actor.id, username: actor.username, ...standing }, reason, reportThreshold);
      if (result.outcome === 'no_review') throw new NotFound('No such review');
      if (result.outcome === 'already_reported') throw new Conflict('You have already reported this review');
      return result.report;
    },

    async reports(id: string, page: Page) {
      if (!(await reviews.find(id))) throw new NotFound('No such review');
      return reviews.reports(id, page);
    },

    /** Inventory is asked while our page is read (not before it): the answer is the same, one round trip sooner. */
    async forItem(itemId: string, page: Page, requestId?: string) {
      const [exists, found] = await Promise.all([itemExists(itemId, requestId, true), reviews.itemPage(itemId, page)]);
      if (exists === false) throw new NotFound(`No item ${itemId}`);
      return found;
    },

    /**
     * Strangers see approved reviews written under the name; admins all. The personal view is chosen by the
     * token's username but filled by its `sub`: an old token of a deleted account, after someone else took
     * the name, sees only what its own account wrote, never the new owner's unapproved reviews.
     */
    forCustomer(actor: User | undefined, username: string, page: Page) {
      if (actor?.role === 'admin') return reviews.byAuthor({ username }, false, page);
      if (actor && actor.username.toLowerCase() === username.toLowerCase()) return reviews.byAuthor({ customerId: actor.id }, false, page);
      return reviews.byAuthor({ username }, true, page);
    },

    queue: (status: ReviewStatus, page: Page) => reviews.byStatus(status, page),

    /** Asks sales about reviews written while it was unreachable; stops at the first failure (sales is still down). */
    async recheckPurchases(batch = 100): Promise<number> {
      let updated = 0;
      for (const review of await reviews.uncheckedPurchases(batch)) {
        const check = await askSales(review.customerId, review.itemId);
        if (!check.checked) break;
        await reviews.recordPurchase(review.id, check.verified);
        updated++;
      }
      return updated;
    },
  };
}
export type ReviewsDomain = ReturnType<typeof reviewsDomain>;
