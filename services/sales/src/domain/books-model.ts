// The books audit's view of the shop (its entities and ports; model.ts holds the sagas' own). The data layer and
// the clients implement these, so the audit's logic never sees SQL or HTTP.

export interface AuditedSale {
  id: string;
  customerId: string;
  status: 'PENDING' | 'COMPLETED' | 'FAILED';
  totalCents: number | null;
  createdAt: Date;
  lines: Array<{ itemId: string; quantity: number }>;
}
export interface AuditedRefund {
  id: string;
  saleId: string;
  customerId: string;
  amountCents: number;
  restock: boolean;
  status: 'PENDING' | 'COMPLETED';
  createdAt: Date;
  lines: Array<{ itemId: string; quantity: number }>;
}
export type { LedgerFact, MovementFact } from '@shop/kit/books';
import type { ItemStockFact, LedgerFact, MovementFact, WalletFact } from '@shop/kit/books';

export interface Page<T> {
  data: T[];
  nextAfter: string | null;
}

/** Sales' own records, read in pages by id. */
export interface BooksSalesRepo {
  salesPage(after: string | undefined, limit: number): Promise<AuditedSale[]>;
  refundsPage(after: string | undefined, limit: number): Promise<AuditedRefund[]>;
  /** The status of each id that is a sale or a refund here (absent: unknown to sales). */
  statuses(ids: string[]): Promise<Map<string, string>>;
}

/** Customers' wallets, through its /internal/books/ routes. */
export interface BooksCustomers {
  ledgerByReferences(references: string[], customerIds: string[], requestId: string): Promise<{ entries: LedgerFact[]; existingCustomers: Set<string> }>;
  ledgerPage(after: string | undefined, requestId: string): Promise<Page<LedgerFact>>;
  walletsPage(after: string | undefined, requestId: string): Promise<Page<WalletFact>>;
  recordMissingDebit(input: { customerId: string; amountCents: number; reference: string }, requestId: string): Promise<'debited' | 'refused'>;
  refund(input: { customerId: string; reference: string }, requestId: string): Promise<'refunded' | 'already_refunded' | 'voided'>;
  credit(input: { customerId: string; amountCents: number; reference: string }, requestId: string): Promise<unknown>;
}

/** Inventory's stock history, through its /internal/books/ routes, and the sagas' stock steps. */
export interface BooksInventory {
  movementsByReferences(references: string[], requestId: string): Promise<{ movements: MovementFact[]; reservations: Map<string, string> }>;
  movementsPage(after: string | undefined, requestId: string): Promise<Page<MovementFact>>;
  itemsPage(after: string | undefined, requestId: string): Promise<Page<ItemStockFact>>;
  reserve(input: { reference: string; lines: Array<{ itemId: string; quantity: number }> }, requestId: string): Promise<{ outcome: string }>;
  release(reference: string, requestId: string): Promise<'released' | 'already_released' | 'voided'>;
  returnStock(input: { reference: string; lines: Array<{ itemId: string; quantity: number }> }, requestId: string): Promise<unknown>;
}
