import { keysetPage, listVersion, prepared, type EventRecorder, type ListOptions, type Listed, type PageQuery, type Queryable, type SortKey } from '@shop/kit';
import type { AdjustResult, Category, Item, ItemChanges, ItemFilter, ItemSort, ItemsRepo, NewItem } from '../domain/model';
import type { Db } from './db';
import { listMovements, recordMovement } from './movements.repo';

interface ItemRow {
  id: string;
  name: string;
  category: Category;
  price_cents: bigint;
  description: string;
  stock_count: number;
  low_stock_threshold: number | null;
  created_at: Date;
  updated_at: Date;
}
export const ITEM_COLUMNS = 'id, name, category, price_cents, description, stock_count, low_stock_threshold, created_at, updated_at';

/** The item events; item.stock_low is written by a trigger on the stock (see the migration 20261130050100). */
export type ItemEvent = 'item.created' | 'item.updated' | 'item.deleted';
export const ITEM_EVENT_TYPES = ['item.created', 'item.updated', 'item.deleted', 'item.stock_low'] as const;
export type Events = EventRecorder<(typeof ITEM_EVENT_TYPES)[number]>;

export function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    name: row.name,
    category: row.category,
    priceCents: Number(row.price_cents),
    description: row.description,
    stockCount: row.stock_count,
    lowStockThreshold: row.low_stock_threshold,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * A row's version for HTTP caching is xmin, the id of the transaction that last wrote it: every write (a stock
 * change by a sale included) changes it, with no column to maintain. The lists' version is the items row of
 * list_versions, bumped by a statement-level trigger on every write to items (migration 20261207000000).
 */
export const FIND_ITEM = prepared('items.find', `SELECT ${ITEM_COLUMNS}, xmin::text AS version FROM items WHERE id = $1::uuid AND deleted_at IS NULL`);

/** Every sort ends on the id, so equal keys keep one order across pages; each (with a category too) has a matching index. */
const SORT_KEYS: Record<ItemSort, SortKey[]> = {
  name: [{ expr: 'lower(name)', type: 'text' }],
  priceCents: [{ expr: 'price_cents', type: 'bigint' }],
  createdAt: [{ expr: 'created_at', type: 'timestamptz' }],
  '-name': [{ expr: 'lower(name)', type: 'text' }],
  '-priceCents': [{ expr: 'price_cents', type: 'bigint' }],
  '-createdAt': [{ expr: 'created_at', type: 'timestamptz' }],
};
const BY_ID: SortKey = { expr: 'id', type: 'uuid' };

/**
 * The total of an unfiltered list or of the in-stock list, from list_counts (maintained on write by triggers on
 * items, migration 20261207100000): sixteen rows by key, so those pages (GET /items, sales' /goods) count nothing.
 * Undefined for any other filter (the page counts, capped at COUNT_EXACT_LIMIT).
 */
async function maintainedTotal(sql: Queryable, filter: ItemFilter): Promise<number | undefined> {
  const { category, q, minPriceCents, maxPriceCents, lowStock, inStock } = filter;
  if ([category, q, minPriceCents, maxPriceCents, lowStock].some((value) => value !== undefined)) return undefined;
  const [row] = await sql.query<{ items: string; in_stock: string }>(
    `SELECT coalesce(sum(count) FILTER (WHERE name = 'items'), 0)::text AS items, coalesce(sum(count) FILTER (WHERE name = 'items.in_stock'), 0)::text AS in_stock
     FROM list_counts WHERE name IN ('items', 'items.in_stock')`,
  );
  const items = Number(row?.items ?? 0);
  const inStockCount = Number(row?.in_stock ?? 0);
  return inStock === undefined ? items : inStock ? inStockCount : items - inStockCount;
}

/**
 * `q` as a walk of the sort's index tests it on each row: `ILIKE` lowers the pattern and the text on every call
 * (in a multi-byte encoding it is defined as exactly that), so lowering the pattern once is the same test, and
 * cheaper (about a fifth of a walk's time at a million items).
 */
const walkedMatch = (pattern: string) => `(lower(name) LIKE lower(${pattern}) OR lower(description) LIKE lower(${pattern}))`;

/** `q` is matched literally: `%`, `_` and `\` in it are not wildcards. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Items and their stock. Each stock change is one conditional UPDATE in a transaction with its
 * stock_movements row, so the stock count always equals the sum of the item's movements. Each change an admin
 * makes writes its event (item.created/updated/deleted) in the same transaction.
 * Deleted items (deleted_at set) are invisible here except to the reservation code.
 * A read by id runs on `byId` (inventory's stock pool: it is the purchase's price check), never behind list reads.
 */
export function itemsRepo(db: Db, events: Events, lists: ListOptions, byId: Queryable = db.sql): ItemsRepo {
  return {
    async create(input: NewItem, actorId: string): Promise<Item> {
      return db.sql.transaction(async (tx) => {
        const [row] = await tx.query<ItemRow>(
          `INSERT INTO items (id, name, category, price_cents, description, stock_count, low_stock_threshold, updated_at)
           VALUES (gen_random_uuid(), $1, $2::"Category", $3::bigint, $4, $5, $6::int, now()) RETURNING ${ITEM_COLUMNS}`,
          input.name,
          input.category,
          input.priceCents,
          input.description,
          input.stockCount,
          input.lowStockThreshold,
        );
        const item = toItem(row!);
        if (item.stockCount > 0) await recordMovement(tx, { itemId: item.id, kind: 'initial', delta: item.stockCount, stockAfter: item.stockCount, actorId });
        await events.record(tx, 'item.created', item);
        return item;
      });
    },

    async find(id: string): Promise<{ item: Item; version: string } | undefined> {
      const [row] = await byId.query<ItemRow & { version: string }>(FIND_ITEM, id);
      return row ? { item: toItem(row), version: `${row.id}.${row.version}` } : undefined;
    },

    /** A page by offset or cursor, its total, and the version of all item lists (read first: see listVersion). */
    async list(filter: ItemFilter): Promise<{ data: Item[]; version: string } & Listed> {
      const version = await listVersion(db.sql, 'items');
      const where = ['deleted_at IS NULL'];
      const params: unknown[] = [];
      const param = (value: unknown, cast = '') => `$${params.push(value)}${cast}`;
      if (filter.category) where.push(`category = ${param(filter.category, '::"Category"')}`);
      // `q` is served by the trigram indexes, or by walking the sort's index for a common word (search-page.ts).
      const pattern = filter.q ? param(likePattern(filter.q)) : undefined;
      if (filter.minPriceCents !== undefined) where.push(`price_cents >= ${param(filter.minPriceCents, '::bigint')}`);
      if (filter.maxPriceCents !== undefined) where.push(`price_cents <= ${param(filter.maxPriceCents, '::bigint')}`);
      if (filter.inStock !== undefined) where.push(filter.inStock ? 'in_stock' : 'NOT in_stock');
      if (filter.lowStock !== undefined) where.push(filter.lowStock ? 'low_stock' : 'low_stock IS NOT TRUE');
      // No filter but `q`: only `deleted_at IS NULL`, so the table's size is the base of a common word's estimate.
      const alone = where.length === 1;
      const knownTotal = await maintainedTotal(db.sql, filter);
      const { limit, offset, after, ...filters } = filter;
      const listed = await keysetPage<ItemRow>(
        db.sql,
        {
          binding: ['items', filters],
          select: ITEM_COLUMNS,
          from: 'items',
          where,
          params,
          keys: [...SORT_KEYS[filter.sort], BY_ID],
          descending: filter.sort.startsWith('-'),
          knownTotal,
          deferredOffset: true,
          ...(pattern && {
            textSearch: { match: `(name ILIKE ${pattern} OR description ILIKE ${pattern})`, walked: walkedMatch(pattern), alone },
          }),
        },
        { limit, offset, after },
        lists,
      );
      return { ...listed.listed, data: listed.rows.map(toItem), version };
    },

    /** A stockCount change is recorded as a correction (delta = new - old) in the same transaction. */
    async update(id: string, changes: ItemChanges, actorId: string): Promise<Item | undefined> {
      return db.sql.transaction(async (tx) => {
        const [before] = await tx.query<{ stock_count: number }>('SELECT stock_count FROM items WHERE id = $1::uuid AND deleted_at IS NULL FOR UPDATE', id);
        if (!before) return undefined;
        const sets: string[] = [];
        const params: unknown[] = [id];
        const set = (column: string, value: unknown, cast = '') => sets.push(`${column} = $${params.push(value)}${cast}`);
        if (changes.name !== undefined) set('name', changes.name);
        if (changes.category !== undefined) set('category', changes.category, '::"Category"');
        if (changes.priceCents !== undefined) set('price_cents', changes.priceCents, '::bigint');
        if (changes.description !== undefined) set('description', changes.description);
        if (changes.stockCount !== undefined) set('stock_count', changes.stockCount, '::int');
        if (changes.lowStockThreshold !== undefined) set('low_stock_threshold', changes.lowStockThreshold, '::int');
        const [row] = sets.length
          ? await tx.query<ItemRow>(`UPDATE items SET ${sets.join(', ')}, updated_at = now() WHERE id = $1::uuid RETURNING ${ITEM_COLUMNS}`, ...params)
          : await tx.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1::uuid`, id);
        const item = toItem(row!);
        const delta = item.stockCount - before.stock_count;
        if (delta !== 0) await recordMovement(tx, { itemId: id, kind: 'correction', delta, stockAfter: item.stockCount, actorId });
        if (sets.length) await events.record(tx, 'item.updated', item);
        return item;
      });
    },

    /** One conditional UPDATE: the new count must stay within 0 … maxStock, or nothing changes. */
    async adjustStock(id: string, delta: number, reason: string | undefined, actorId: string, maxStock: number): Promise<AdjustResult> {
      return db.sql.transaction(async (tx) => {
        const [row] = await tx.query<ItemRow>(
          `UPDATE items SET stock_count = stock_count + $2::int, updated_at = now()
           WHERE id = $1::uuid AND deleted_at IS NULL AND stock_count + $2::int BETWEEN 0 AND $3::int
           RETURNING ${ITEM_COLUMNS}`,
          id,
          delta,
          maxStock,
        );
        if (!row) {
          const [current] = await tx.query<{ stock_count: number }>('SELECT stock_count FROM items WHERE id = $1::uuid AND deleted_at IS NULL', id);
          if (!current) return { outcome: 'no_item' };
          return { outcome: current.stock_count + delta < 0 ? 'below_zero' : 'above_maximum' };
        }
        const item = toItem(row);
        await recordMovement(tx, { itemId: id, kind: 'adjustment', delta, stockAfter: item.stockCount, reason, actorId });
        await events.record(tx, 'item.updated', item);
        return { outcome: 'adjusted', item };
      });
    },

    async softDelete(id: string): Promise<boolean> {
      return db.sql.transaction(async (tx) => {
        const [row] = await tx.query<ItemRow>(
          `UPDATE items SET deleted_at = now(), updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING ${ITEM_COLUMNS}`,
          id,
        );
        if (row) await events.record(tx, 'item.deleted', toItem(row));
        return row !== undefined;
      });
    },

    movements: (itemId: string, page: PageQuery) => listMovements(db.sql, itemId, page, lists),
  };
}
