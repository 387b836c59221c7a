// What the sales domain works with: its entities and the repositories that store them. The data layer
// implements these interfaces, so the domain never sees pg or SQL.

import type { Listed, PageQuery } from '@shop/kit/pagination';

export type PublicStatus = 'completed' | 'partially_refunded' | 'refunded';

export interface SaleLine {
  itemId: string;
  itemName: string;
  unitPriceCents: number;
  quantity: number;
  totalCents: number;
  refundedQuantity: number;
}

/**
 * A sale as clients see it: only completed sales ever leave the service. A sale of exactly one line also
 * carries that line's itemId, itemName, unitPriceCents and quantity at the top level (the v1 shape).
 */
export interface Sale {
  id: string;
  customerId: string;
  username: string;
  itemId?: string;
  itemName?: string;
  unitPriceCents?: number;
  quantity?: number;
  lines: SaleLine[];
  totalCents: number;
  refundedCents: number;
  status: PublicStatus;
  createdAt: string;
  updatedAt: string;
}

export interface NewSale {
  id: string;
  customerId: string;
  username: string;
  lines: Array<{ itemId: string; quantity: number }>;
}

export interface IdempotencyClaim {
  customerId: string;
  key: string;
  requestHash: string;
  ttlHours: number;
}

/** What an earlier request with the same key left behind. */
export interface StoredKey {
  requestHash: string;
  state: 'in_flight' | 'done';
  responseStatus: number | null;
  responseBody: string | null;
}

/** A final answer to keep under an idempotency key (the JSON text, verbatim). */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export interface PendingSale {
  id: string;
  customerId: string;
}

/** What each line cost at purchase time (inventory's reservation answer), and the total. */
export interface Price {
  lines: Array<{ itemId: string; itemName: string; unitPriceCents: number }>;
  totalCents: number;
}

export interface SaleFilter {
  customerId?: string;
  username?: string;
  status?: PublicStatus;
  itemId?: string;
  from?: Date;
  to?: Date;
}

/** How long a sweep's claim may hold its row, and its statements wait (background work may wait longer than a request). */
export interface SweepLimits {
  ageMs: number;
  exclude: string[];
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * The sale's lifecycle and its idempotency key, written together: the key is claimed in the transaction that
 * records the PENDING sale, and its final answer stored (or the key released) in the one that ends the sale.
 */
export interface SalesRepo {
  /** Records the sale as PENDING, claiming its key first; a key held by an earlier request is returned instead. */
  begin(sale: NewSale, claim?: IdempotencyClaim): Promise<{ started: true } | { started: false; existing: StoredKey }>;
  /** PENDING → COMPLETED with the prices, its sale.completed event and the answer under the key; undefined if no longer pending. */
  complete(id: string, price: Price, keyed: boolean, answer: (sale: Sale) => StoredAnswer): Promise<Sale | undefined>;
  /** PENDING → FAILED; stores a final `answer` under the key, else releases it. False if no longer pending. */
  fail(id: string, reason: string, keyed: boolean, answer?: StoredAnswer, price?: Price): Promise<boolean>;
  /** The sale stays PENDING for the recovery sweep; its key is released so the client can try again. */
  releaseKey(saleId: string): Promise<void>;
}

/** The recovery sweep's claim on sales a dead process left PENDING. */
export interface AbandonedSalesRepo {
  /** Claims the oldest abandoned sale (SKIP LOCKED), keeps it locked while `settle` undoes it, then marks it FAILED. */
  settleAbandoned(
    options: SweepLimits & { instance: string },
    settle: (sale: PendingSale) => Promise<void>,
  ): Promise<{ id: string; settled: true } | { id: string; settled: false; error: unknown } | undefined>;
}

/** PURCHASES_PER_MINUTE: purchase attempts per customer, counted where every replica sees them. */
export interface PurchaseAttemptsRepo {
  /** Counts one attempt in the customer's current window, unless it holds `limit` already (then nothing is written). */
  take(customerId: string, limit: number): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
}

/** Purchase history: completed sales only. */
export interface HistoryRepo {
  /** Newest first, narrowed by the filter. */
  listCompleted(filter: SaleFilter, page: PageQuery): Promise<{ data: Sale[] } & Listed>;
  findCompleted(id: string): Promise<Sale | undefined>;
  /** A completed sale whose line for the item (or, without an item, any sale) is not fully refunded. */
  hasPurchased(customerId: string, itemId?: string): Promise<boolean>;
}

/** One event of the feed other services read (GET /internal/events), with its commit-ordered cursor. */
export interface FeedEvent {
  id: string;
  type: string;
  createdAt: string;
  /** The customer the event is about (a refund's buyer), when it is about one. */
  customerId: string | null;
  data: unknown;
  cursor: string;
  /** The span that wrote the event (W3C traceparent), when it was traced: a consumer's span joins its trace. */
  traceparent: string | null;
}

/** The outbox read as a feed, and the customers' maintained spend. */
export interface EventFeedRepo {
  /** Events of `type` committed after `after` (a cursor; undefined: from the oldest kept), oldest first. */
  after(type: string, after: { xid: string; id: string } | undefined, limit: number): Promise<FeedEvent[]>;
  /** A customer's completed purchases net of refunds, in cents (0 for one who never bought). */
  netSpendCents(customerId: string): Promise<number>;
}

export interface RefundLine {
  itemId: string;
  quantity: number;
  amountCents: number;
}

/** A refund as clients see it. */
export interface Refund {
  id: string;
  saleId: string;
  lines: RefundLine[];
  amountCents: number;
  reason: string | null;
  restocked: boolean;
  createdAt: string;
}

/** A refund as its steps need it: whose wallet to credit. */
export interface RefundToDo extends Refund {
  customerId: string;
}

/** The public shape: without the customer id the steps use. */
export const publicRefund = ({ customerId: _customerId, ...refund }: RefundToDo): Refund => refund;

/** A completed sale as a refund sees it, read under the sale's row lock. */
export interface SaleToRefund {
  id: string;
  customerId: string;
  createdAt: Date;
  /** `left`: what no recorded refund (pending or completed) has taken yet. */
  lines: Array<{ itemId: string; quantity: number; unitPriceCents: number; left: number }>;
}

/** What the domain decided about a refund request: the refund's lines, or a final refusal to answer. */
export type RefundDecision = { lines: RefundLine[] } | { refusal: StoredAnswer };

/** Refunds and their idempotency keys; a refund of a sale is recorded under a lock on the sale. */
export interface RefundsRepo {
  /** Claims the key, locks the sale, lets `decide` (pure) pick the lines or a refusal, and records it. */
  record(
    input: { id: string; saleId: string; reason: string | null; restock: boolean; claim?: IdempotencyClaim },
    decide: (sale: SaleToRefund | undefined) => RefundDecision,
  ): Promise<{ kind: 'existing'; existing: StoredKey } | { kind: 'refused' } | { kind: 'recorded'; refund: RefundToDo }>;
  /** PENDING → COMPLETED once (its event and its key's answer with it); false when it was already completed. */
  complete(refund: RefundToDo): Promise<boolean>;
  /** Claims the oldest pending refund (SKIP LOCKED) while `drive` runs its steps; completes it when they are done. */
  settlePending(options: SweepLimits, drive: (refund: RefundToDo) => Promise<boolean>): Promise<{ id: string; completed: boolean } | undefined>;
  /** A sale's refunds (pending ones too), oldest first. */
  listForSale(saleId: string, page: PageQuery): Promise<{ data: Refund[] } & Listed>;
}
