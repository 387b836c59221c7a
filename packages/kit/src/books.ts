import { z } from './zod';

/**
 * The shapes of the books audit's internal reads (sales' audit reads customers' ledger and inventory's stock
 * history through them): pages in id order (keyset: `after` is the last id of the previous page), and lookups
 * of the rows that name a page of references (sale or refund ids). Bounded, so one read never grows with the shop.
 */
export const BOOKS_PAGE_MAX = 1000;

export const booksPageQuery = z.object({
  after: z.uuid().optional().openapi({ description: 'The last id of the previous page; omitted, the first page' }),
  limit: z.coerce.number().int().min(1).max(BOOKS_PAGE_MAX).default(500),
});

export const referencesLookup = z
  .strictObject({
    references: z.array(z.string().min(1).max(255)).min(1).max(BOOKS_PAGE_MAX).openapi({ description: 'Sale or refund ids' }),
  })
  .openapi('ReferencesLookup', { example: { references: ['5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e'] } });

/** A page's rows and where the next page starts (null: this was the last page). */
export const booksPage = <T extends z.ZodType>(row: T, name: string) => z.object({ data: z.array(row), nextAfter: z.uuid().nullable() }).openapi(name);

/** The keyset cursor of a page read with `limit` rows: the last id when the page is full. */
export const nextAfter = (rows: Array<{ id: string }>, limit: number): string | null => (rows.length === limit ? rows[rows.length - 1]!.id : null);

/** A ledger entry as the books audit sees it (customers): a purchase debit (reference: sale id) or a refund credit (refund id). */
export interface LedgerFact {
  id: string;
  customerId: string;
  type: 'purchase' | 'refund';
  amountCents: number;
  reference: string;
}
/** A stock movement that names a sale (reservation, release) or a refund (return), as the books audit sees it (inventory). */
export interface MovementFact {
  id: string;
  itemId: string;
  kind: 'reservation' | 'release' | 'return';
  delta: number;
  reference: string;
}
/** A wallet's balance beside the sum of its ledger (they must be equal). */
export interface WalletFact {
  id: string;
  balanceCents: number;
  ledgerSumCents: number;
}
/** An item's stock beside the sum of its movements (they must be equal). */
export interface ItemStockFact {
  id: string;
  stockCount: number;
  movementSum: number;
}
