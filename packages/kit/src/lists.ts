import { createHash } from 'node:crypto';
import { pgErrorCode, type Queryable } from './database';
import { ValidationFailed } from './errors';
import { pagePosition, type Listed, type PageQuery } from './pagination';
import { listSql, plannerRows } from './list-sql';
import { searchPage } from './search-page';
import { z } from './zod';

/**
 * Lists whose cost does not grow with the table (issue 23): a page by cursor is an index range scan on
 * `(sortKey, id)`, a page by offset walks at most `offset + limit + 1` index entries, and the total is counted
 * exactly only up to COUNT_EXACT_LIMIT rows (a LIMIT subquery), above which it is the planner's estimate.
 */

export interface ListOptions {
  /** COUNT_EXACT_LIMIT. */
  countExactLimit: number;
  /** SEARCH_COUNT_EXACT_LIMIT: a text search's total is exact up to it; above, a common word's may be estimated. */
  searchCountExactLimit: number;
  /** SEARCH_PROBE_LIMIT: the most matches of a text search that are counted (and, for `textSearch`, sorted). */
  searchProbeLimit: number;
}
/** The settings lists read (baseConfigSchema). */
export interface ListSettings {
  COUNT_EXACT_LIMIT: number;
  SEARCH_COUNT_EXACT_LIMIT: number;
  SEARCH_PROBE_LIMIT: number;
}
export const listOptions = (config: ListSettings): ListOptions => ({
  countExactLimit: config.COUNT_EXACT_LIMIT,
  searchCountExactLimit: config.SEARCH_COUNT_EXACT_LIMIT,
  searchProbeLimit: config.SEARCH_PROBE_LIMIT,
});

/** A sort key: an SQL expression over the row and the type its text form is cast back to. */
export interface SortKey {
  expr: string;
  type: 'text' | 'uuid' | 'bigint' | 'int' | 'timestamptz';
}

/** The common orders: by a bigserial (unique alone), and by a time with the id breaking ties. */
export const bySeq = (column = 'seq'): SortKey[] => [{ expr: column, type: 'bigint' }];
export const byTimeAndId = (time = 'created_at', id = 'id'): SortKey[] => [
  { expr: time, type: 'timestamptz' },
  { expr: id, type: 'uuid' },
];

export interface KeysetList {
  /**
   * What a cursor is bound to: the list's name, every filter and the sort (the caller's scope too, when a list is
   * someone's own). A cursor from another binding is refused, so a cursor is valid only with the same filters.
   */
  binding: unknown;
  /** The columns of a row. */
  select: string;
  from: string;
  /** AND-ed conditions, with `$n` placeholders numbered over `params`. */
  where: string[];
  params: unknown[];
  /** The order: the last key is unique (the id), so equal keys keep one order across pages; an index serves it. */
  keys: SortKey[];
  descending: boolean;
  /** A total the service maintains on write (a summary row, read by key): then no statement counts the list. */
  knownTotal?: number;
  /**
   * Filtered by a text search (`q`, in `where`): at most searchProbeLimit matches (and COUNT_EXACT_LIMIT) are
   * counted, exactly; above that, the total is the planner's estimate.
   */
  search?: boolean;
  /**
   * `from` is one table whose column `id` is unique, and the sort's indexes hold the id: a page by offset is then a
   * deferred join, the offset walking only the index (an index-only scan, no table row read for the rows it skips),
   * and the page's rows fetched by id.
   */
  deferredOffset?: boolean;
  /**
   * A text search that a trigram index serves (`match`, AND-ed with `where`, which does not hold it): the page is
   * read by search-page.ts, walking the sort's index first and probing the trigram index only for a rarer word, so
   * neither a common word nor a rare one costs more than its page. The keys and `match` must be expressions over the
   * columns of `select`, and `from` one table.
   */
  textSearch?: {
    match: string;
    /** The same condition as the walk tests it row by row, when an equivalent form is cheaper (default `match`). */
    walked?: string;
    /** No filter but the search (`where` holds only what every page of the table has): the table's size is the base of the estimate. */
    alone?: boolean;
  };
}

interface CursorBody {
  /** The sort keys of the page's last row, in their text form. */
  k: string[];
  /** A digest of the binding and the keys: a cursor of another list or filter, or an edited one, is refused. */
  h: string;
}

const digest = (binding: unknown, keys: string[]) =>
  createHash('sha256')
    .update(JSON.stringify([binding, keys]))
    .digest('base64url')
    .slice(0, 22);

export function encodeCursor(binding: unknown, keys: string[]): string {
  const body: CursorBody = { k: keys, h: digest(binding, keys) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const cursorBody = z.object({ k: z.array(z.string().max(400)).min(1).max(4), h: z.string() }).strict();
const refused = (message: string) => new ValidationFailed('The request is not valid', [{ path: 'query.after', message }]);

/** The keys a cursor carries, when it belongs to this list with these filters; a 400 otherwise. */
export function decodeCursor(binding: unknown, cursor: string, keyCount: number): string[] {
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]+$/.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  const body = cursorBody.safeParse(parsed);
  if (!body.success || body.data.k.length !== keyCount) throw refused('is not a cursor of this list (pass the nextCursor of the previous page)');
  if (body.data.h !== digest(binding, body.data.k)) throw refused('belongs to another list, filter or sort, or was changed: start again without it');
  return body.data.k;
}

/**
 * A page of a list: its rows, nextCursor, and its total (exact up to `countExactLimit`, else estimated). The
 * page is one statement reading at most `offset + limit + 1` rows in index order (the extra row says whether
 * there is a next page); the total is a second statement, skipped when the page itself shows it. A list with
 * `textSearch` is read by searchPage (search-page.ts), which answers its total with its rows.
 */
export async function keysetPage<Row>(sql: Queryable, list: KeysetList, query: PageQuery, options: ListOptions): Promise<{ rows: Row[]; listed: Listed }> {
  const { after, offset } = pagePosition(query);
  const afterKeys = after === undefined ? undefined : decodeCursor(list.binding, after, list.keys.length);
  let fetched: Record<string, unknown>[];
  let searched: { total: number; totalIsEstimate: boolean } | undefined;
  try {
    if (list.textSearch) {
      const found = await searchPage(sql, list, list.textSearch, { afterKeys, offset, limit: query.limit }, options);
      fetched = found.rows;
      searched = found;
    } else fetched = await sql.query<Record<string, unknown>>(...pageStatement(list, afterKeys, offset, query.limit));
  } catch (error) {
    // A cursor whose keys do not cast (it passed the digest, so it was forged): the client's mistake, not ours.
    if (after !== undefined && pgErrorCode(error)?.startsWith('22')) throw refused('is not a cursor of this list');
    throw error;
  }
  const more = fetched.length > query.limit;
  const rows = fetched.slice(0, query.limit);
  const last = rows.at(-1);
  const nextCursor =
    more && last
      ? encodeCursor(
          list.binding,
          list.keys.map((_, i) => String(last[`_k${i}`])),
        )
      : null;
  for (const row of rows) for (let i = 0; i < list.keys.length; i++) delete row[`_k${i}`];
  if (list.knownTotal !== undefined) return { rows: rows as Row[], listed: { total: list.knownTotal, totalIsEstimate: false, nextCursor } };
  // The first page (or any offset page that reached the end) shows its own total.
  if (after === undefined && !more && (rows.length > 0 || offset === 0)) {
    return { rows: rows as Row[], listed: { total: offset + rows.length, totalIsEstimate: false, nextCursor } };
  }
  return { rows: rows as Row[], listed: { ...(searched ?? (await countOf(sql, list, options))), nextCursor } };
}

/** The page's statement and its parameters: an index range scan of at most `offset + limit + 1` rows. */
function pageStatement(list: KeysetList, afterKeys: string[] | undefined, offset: number, limit: number): [string, ...unknown[]] {
  const { order, keyColumns, range } = listSql(list);
  const { condition, params } = range(afterKeys);
  const window = `LIMIT ${limit + 1}${offset ? ` OFFSET ${offset}` : ''}`;
  const statement =
    offset && list.deferredOffset
      ? `SELECT ${list.select}, ${keyColumns} FROM ${list.from}
         WHERE id = ANY(ARRAY(SELECT id FROM ${list.from} WHERE ${condition} ORDER BY ${order} ${window})) ORDER BY ${order}`
      : `SELECT ${list.select}, ${keyColumns} FROM ${list.from} WHERE ${condition} ORDER BY ${order} ${window}`;
  return [statement, ...params];
}

/**
 * At most countExactLimit + 1 rows are counted (a text search: at most searchProbeLimit + 1, whose trigram matches
 * are rechecked in the table one by one); above that, the planner's estimate of the matching rows.
 */
async function countOf(sql: Queryable, list: KeysetList, options: ListOptions): Promise<{ total: number; totalIsEstimate: boolean }> {
  const condition = list.where.length ? list.where.join(' AND ') : 'true';
  const cap = list.search ? Math.min(options.countExactLimit, Math.max(options.searchProbeLimit, options.searchCountExactLimit)) : options.countExactLimit;
  const [counted] = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${list.from} WHERE ${condition} LIMIT ${cap + 1}) capped`,
    ...list.params,
  );
  const n = counted?.n ?? 0;
  if (n <= cap) return { total: n, totalIsEstimate: false };
  return { total: Math.max(await plannerRows(sql, list.from, list.where, list.params), cap + 1), totalIsEstimate: true };
}

/**
 * A list's version for its ETag: the sum of its rows in `list_versions`, which a statement-level trigger bumps on
 * every write to the table (the migrations' bump_list_version). A handful of rows, whatever the table's size.
 * Read it before the page: a write in between then changes the next version, never hides behind this one.
 */
export async function listVersion(sql: Queryable, name: string): Promise<string> {
  const [row] = await sql.query<{ v: string }>(`SELECT coalesce(sum(version), 0)::text AS v FROM list_versions WHERE name = $1`, name);
  return `${name}.${row?.v ?? '0'}`;
}
