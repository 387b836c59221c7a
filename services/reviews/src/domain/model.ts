// What the reviews domain works with: its entities and the repository that stores them. The data layer
// implements this interface, so the domain never sees pg or SQL.

import type { Listed, PageQuery } from '@shop/kit/pagination';

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

/** The public shape of a review (the contract's Review). */
export interface Review {
  id: string;
  itemId: string;
  username: string;
  rating: number;
  comment: string;
  status: ReviewStatus;
  verifiedPurchase: boolean;
  reportCount: number;
  createdAt: string;
  updatedAt: string;
}

/** A review with what only this service sees: its author's customer id and whether sales was asked. */
export interface ReviewRecord extends Review {
  customerId: string;
  purchaseChecked: boolean;
}

/** Strips what never leaves the service. */
export function toReview({ customerId: _c, purchaseChecked: _p, ...review }: ReviewRecord): Review {
  return review;
}

export interface RatingSummary {
  count: number;
  /** Mean of the approved ratings, rounded half away from zero to 2 decimals (in exact numeric); null when none. */
  average: number | null;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
}

/** What sales said about the author's purchase: `checked: false` when it could not be asked. */
export interface PurchaseCheck {
  verified: boolean;
  checked: boolean;
}

/** A page by offset or by cursor (the kit's lists.ts). */
export type Page = PageQuery;

export interface Report {
  id: string;
  reviewId: string;
  reason: string;
  createdAt: string;
}

export type ReportResult = { outcome: 'reported'; report: Report } | { outcome: 'already_reported' } | { outcome: 'no_review' };

/** Whether a reporter's reports count (both must hold): see report-rules.ts. */
export interface ReporterStanding {
  spendOk: boolean;
  accountOldEnough: boolean;
}

export interface ModerationDecision {
  action: 'approve' | 'reject';
  note: string;
  moderatorId: string;
  moderatorUsername: string;
}

export interface ReviewsRepo {
  /** undefined when this customer already reviewed this item (the unique index decides, also under races). */
  create(input: {
    itemId: string;
    customerId: string;
    username: string;
    rating: number;
    comment: string;
    purchase: PurchaseCheck;
  }): Promise<ReviewRecord | undefined>;
  find(id: string): Promise<ReviewRecord | undefined>;
  /** The author's edit: new content goes back to moderation (and to the end of the queue). */
  edit(id: string, changes: { rating?: number; comment?: string }, purchase: PurchaseCheck | undefined): Promise<ReviewRecord | undefined>;
  remove(id: string): Promise<boolean>;
  /** The decision, its history row, and the open reports closed; the status clock restarts only when the status changes. */
  moderate(id: string, decision: ModerationDecision, purchase: PurchaseCheck | undefined): Promise<ReviewRecord | undefined>;
  /**
   * Stores the report; `threshold` open reports that count send an approved review back to moderation, held by
   * reports (every report counts in reportCount).
   */
  report(reviewId: string, reporter: { id: string; username: string } & ReporterStanding, reason: string, threshold: number): Promise<ReportResult>;
  reports(
    reviewId: string,
    page: Page,
  ): Promise<{ data: Array<{ id: string; reviewId: string; username: string; reason: string; counts: boolean; createdAt: string }> } & Listed>;
  /** An item's approved reviews, newest first, with their summary and their version (for the ETag), from one snapshot. */
  itemPage(itemId: string, page: Page): Promise<{ data: ReviewRecord[]; summary: RatingSummary; version: string } & Listed>;
  /** Reviews written under a username (`approvedOnly` for strangers), or by one customer id (the author's own view). */
  byAuthor(author: { username: string } | { customerId: string }, approvedOnly: boolean, page: Page): Promise<{ data: ReviewRecord[] } & Listed>;
  /** The moderation queue: longest in its status first. */
  byStatus(status: ReviewStatus, page: Page): Promise<{ data: ReviewRecord[] } & Listed>;
  /** Reviews written while sales could not be asked, oldest first. */
  uncheckedPurchases(limit: number): Promise<ReviewRecord[]>;
  recordPurchase(id: string, verified: boolean): Promise<void>;
}

/** A refund.completed event of sales', with what reviews learned from sales about its buyer before handling it. */
export interface RefundToHandle {
  eventId: string;
  /** The feed's cursor just after this event. */
  cursor: string;
  /** The buyer; null for an event about no known customer (nothing to recount, the cursor still moves). */
  customerId: string | null;
  /** The buyer's spend, now, against REPORT_MIN_SPEND_CENTS. */
  spendOk: boolean;
  /** Each refunded item: whether the buyer still has a line for it that is not fully refunded. */
  purchases: Array<{ itemId: string; verified: boolean }>;
}

export type HandleOutcome = 'handled' | 'already_handled' | 'lease_lost';

/** Where reviews has read sales' refund feed to, who reads it, and the effects of each event. */
export interface EventFeedRepo {
  /** Takes (or renews) the feed's lease for `owner`: its cursor, or undefined while another replica holds it. */
  claim(feed: string, owner: string, leaseMs: number): Promise<{ cursor: string | null } | undefined>;
  /**
   * In one transaction: moves the cursor from `from` to the event's (only while `owner` holds the lease), records
   * the event id, and, unless that id was handled already, recounts the buyer's reports (reviews held by reports
   * alone return to approved below `threshold`) and sets verifiedPurchase of their reviews of the refunded items.
   */
  handleRefund(lease: { feed: string; owner: string; from: string | null; leaseMs: number }, event: RefundToHandle, threshold: number): Promise<HandleOutcome>;
  release(feed: string, owner: string): Promise<void>;
  /** Deletes up to `batch` handled-event ids older than `olderThanDays`; the number deleted. */
  purgeHandled(olderThanDays: number, batch: number): Promise<number>;
}
