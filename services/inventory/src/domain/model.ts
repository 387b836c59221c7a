// What the inventory domain works with: its entities and the repositories that store them. The data layer
// implements these interfaces, so the domain never sees Prisma, pg or SQL.

import type { Listed, PageQuery } from '@shop/kit/pagination';

export type Category = 'food' | 'clothes' | 'accessories' | 'electronics';

export interface NewItem {
  name: string;
  category: Category;
  priceCents: number;
  description: string;
  stockCount: number;
  lowStockThreshold: number | null;
}

export interface Item extends NewItem {
  id: string;
  createdAt: string;
  updatedAt: string;
}
export type ItemChanges = Partial<NewItem>;

export type ItemSort = 'name' | '-name' | 'priceCents' | '-priceCents' | 'createdAt' | '-createdAt';
export interface ItemFilter {
  category?: Category;
  q?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
  inStock?: boolean;
  /** true: stock_count <= low_stock_threshold; false: not low (or no threshold). */
  lowStock?: boolean;
  sort: ItemSort;
  limit: number;
  offset?: number;
  /** A cursor (the kit's lists.ts): the page after it. */
  after?: string;
}

export type AdjustResult = { outcome: 'adjusted'; item: Item } | { outcome: 'no_item' | 'below_zero' | 'above_maximum' };

/** A movement as the contract shows it. */
export interface StockMovement {
  id: string;
  kind: 'initial' | 'adjustment' | 'sale' | 'release' | 'return';
  delta: number;
  stockAfter: number;
  reference: string | null;
  reason: string | null;
  createdAt: string;
}

/**
 * Items and their stock; deleted items are invisible here. Reads carry a version (for the ETag) that changes
 * with every write to the row, or (lists) to any row.
 */
export interface ItemsRepo {
  create(input: NewItem, actorId: string): Promise<Item>;
  find(id: string): Promise<{ item: Item; version: string } | undefined>;
  list(filter: ItemFilter): Promise<{ data: Item[]; version: string } & Listed>;
  /** A stockCount change is recorded as a correction. */
  update(id: string, changes: ItemChanges, actorId: string): Promise<Item | undefined>;
  /** The new count must stay within 0 … maxStock, or nothing changes. */
  adjustStock(id: string, delta: number, reason: string | undefined, actorId: string, maxStock: number): Promise<AdjustResult>;
  softDelete(id: string): Promise<boolean>;
  /** The item's stock history, newest first; undefined when there is no such item. */
  movements(itemId: string, page: PageQuery): Promise<({ data: StockMovement[] } & Listed) | undefined>;
}

export interface ReservedLine {
  itemId: string;
  quantity: number;
  itemName: string;
  unitPriceCents: number;
  /** The item's stock right after this take. */
  stockCount: number;
}

/** Stock taken for a sale, under its reference (the sale id). */
export interface Reservation {
  reference: string;
  lines: ReservedLine[];
}

export interface BasketLine {
  itemId: string;
  quantity: number;
}

export type TakeResult =
  | { outcome: 'taken' | 'already_taken'; reservation: Reservation }
  /** The 0-based positions of the lines that caused the refusal. */
  | { outcome: 'no_item' | 'insufficient_stock'; lines: number[] }
  | { outcome: 'voided' | 'reference_mismatch' };
export type ReleaseOutcome = 'released' | 'already_released' | 'voided';
export type ReturnOutcome = 'returned' | 'already_returned' | 'reference_mismatch' | 'no_item';

/** The sales saga's stock steps, each idempotent by reference. */
export interface ReservationsRepo {
  /** Every line or none. */
  take(reference: string, lines: BasketLine[]): Promise<TakeResult>;
  release(reference: string): Promise<ReleaseOutcome>;
  /** A refund's units back, once per reference (the refund id). */
  returnStock(reference: string, lines: BasketLine[]): Promise<ReturnOutcome>;
}

export type { ItemStockFact, MovementFact } from '@shop/kit/books';
import type { ItemStockFact, MovementFact } from '@shop/kit/books';

/** The books audit's reads (pages in id order, keyset). */
export interface BooksRepo {
  movementsByReferences(references: string[]): Promise<{ movements: MovementFact[]; reservations: Array<{ reference: string; state: string }> }>;
  movementsPage(after: string | undefined, limit: number): Promise<MovementFact[]>;
  itemsPage(after: string | undefined, limit: number): Promise<ItemStockFact[]>;
}
