import type { Queryable } from './database';
import { listSql, plannerRows } from './list-sql';
import type { KeysetList, ListOptions } from './lists';

/**
 * A page of a text search (`q`, KeysetList.textSearch) whose cost does not follow how many rows match (issue 23).
 * A trigram index finds every match at once (a bitmap: its cost grows with the matches, 10,000 for a word in 1% of
 * a million names), in no useful order; the sort's index gives the order, meeting a match every `rows / matches`
 * rows. So the page is read by walking the sort's index first, within a window of rows per match wanted:
 * - a common word fills its page within the window (about `limit × rows / matches` rows read): the page, and proof
 *   that more than SEARCH_COUNT_EXACT_LIMIT rows match, so its total is an estimate (the density the walk met times
 *   the rows of the other filters) and no statement reads every match;
 * - a walk that reaches the end of the list has seen every match after its start: from the start, that is the
 *   exact total;
 * - a rarer word leaves the window short (a first small window that meets no match at all gives up at once), and
 *   then the trigram index is cheap: a probe reads at most SEARCH_PROBE_LIMIT + 1 matches. No more: the page is
 *   sorted from them and their count is the exact total (the contract's: flagged an estimate only above
 *   COUNT_EXACT_LIMIT). More: the walk goes on from where it stopped, to the page's end, and the total is an
 *   estimate.
 * A page by offset skips the window (an offset walks by definition): the probe, then its rows or the walk. So does
 * a table of at most SEARCH_PROBE_LIMIT rows (the planner's estimate), where the probe is bounded by the table.
 */

/** The first window, in rows per match wanted: a rare word stops here (a walk of 16 rows per match meets none). */
export const SEARCH_FIRST_WINDOW_ROWS_PER_MATCH = 16;
/** The whole window, in rows per match wanted: a word in more than 1 of 128 rows fills its page within it. */
export const SEARCH_WINDOW_ROWS_PER_MATCH = 128;

type Row = Record<string, unknown>;
export interface SearchPage {
  /** The page's rows and one more when there is a next page, with their sort keys as text (`_k0`, …). */
  rows: Row[];
  total: number;
  totalIsEstimate: boolean;
}

const tableRows = new Map<string, { rows: number; at: number }>();
/** The planner's estimate of a table's rows, asked at most once a minute per table (it only picks the plan). */
async function rowsOf(sql: Queryable, table: string): Promise<number> {
  const known = tableRows.get(table);
  if (known && Date.now() - known.at < 60_000) return known.rows;
  const rows = await plannerRows(sql, table, [], []);
  tableRows.set(table, { rows, at: Date.now() });
  return rows;
}

interface Walked {
  matches: Row[];
  /** Rows of the list read. */
  read: number;
  /** The window ended before the list did: the keys of its last row, to go on from. */
  stoppedAt?: string[];
}

/**
 * Walks the sort's index from `afterKeys` for at most `want` matches (after skipping `offset` of them). With a
 * `window`, it reads at most that many rows, and the window's last row comes back too (a sentinel), so the caller
 * knows where the walk stopped. The match is tested above the scan (it is no condition of the scan, so no trigram
 * index can take the walk over), and every LIMIT is a constant the planner plans for: a window planned for all its
 * rows (a generic plan, or a LIMIT above a window function) sorted a whole category instead of walking its index.
 */
async function walk(
  sql: Queryable,
  list: KeysetList,
  match: string,
  from: { afterKeys?: string[]; offset?: number; want: number; window?: number },
): Promise<Walked> {
  const { order, keyColumns, range } = listSql(list);
  const { condition, params } = range(from.afterKeys);
  const page = `LIMIT ${from.want}${from.offset ? ` OFFSET ${from.offset}` : ''}`;
  if (from.window === undefined) {
    // Unbounded (to the page's end): the match is a filter of the ordered scan, which stops at the page's end.
    const rows = await sql.query<Row>(
      `SELECT ${list.select}, ${keyColumns} FROM ${list.from} WHERE ${condition} AND (${match}) ORDER BY ${order} ${page}`,
      ...params,
    );
    return { matches: rows, read: 0 };
  }
  const direction = list.descending ? 'DESC' : 'ASC';
  // The keys as columns of the window's rows, so that the outer orders are the scan's own (no sort above it).
  const keys = list.keys.map((key, i) => `${key.expr} AS "_s${i}"`).join(', ');
  const scanOrder = list.keys.map((_, i) => `"_s${i}" ${direction}`).join(', ');
  const rows = await sql.query<Row & { _m: boolean; _n: string }>(
    `SELECT ${list.select}, ${keyColumns}, (${match}) AS _m, _n FROM (
       SELECT scanned.*, row_number() OVER (ORDER BY ${scanOrder}) AS _n FROM (
         SELECT ${list.from}.*, ${keys} FROM ${list.from} WHERE ${condition} ORDER BY ${order} LIMIT ${from.window}
       ) scanned
     ) walked WHERE (${match}) OR _n = ${from.window} ORDER BY ${scanOrder} ${page}`,
    ...params,
  );
  const last = rows.at(-1);
  const matches = rows.filter((row) => row._m);
  const read = last ? Number(last._n) : 0;
  const reachedWindow = read === from.window && matches.length < from.want;
  for (const row of rows) {
    delete (row as Row)._m;
    delete (row as Row)._n;
  }
  return {
    matches,
    read,
    ...(reachedWindow && last && { stoppedAt: list.keys.map((_, i) => String(last[`_k${i}`])) }),
  };
}

/**
 * The probe: at most `probeLimit` + 1 matches by the trigram index (a bitmap scan), their count, and the page sorted
 * from them when they are all (one statement; the rows are read from the table anyway, to recheck the match).
 */
async function probe(sql: Queryable, list: KeysetList, match: string, page: { afterKeys?: string[]; offset: number; limit: number }, probeLimit: number) {
  const { order, keyColumns, after } = listSql(list);
  const params = [...list.params];
  const pageWhere = [`n.total <= ${probeLimit}`];
  if (page.afterKeys) pageWhere.push(after(page.afterKeys, params));
  const rows = await sql.query<Row & { _total: number; _row: boolean | null }>(
    `WITH probe AS MATERIALIZED (SELECT ${list.select} FROM ${list.from} WHERE ${[...list.where, match].join(' AND ')} LIMIT ${probeLimit + 1})
     SELECT n.total AS _total, p.* FROM (SELECT count(*)::int AS total FROM probe) n
     LEFT JOIN LATERAL (SELECT probe.*, ${keyColumns}, true AS _row FROM probe WHERE ${pageWhere.join(' AND ')}
                        ORDER BY ${order} LIMIT ${page.limit + 1}${page.offset ? ` OFFSET ${page.offset}` : ''}) p ON true`,
    ...params,
  );
  const count = rows[0]?._total ?? 0;
  const found = rows.filter((row) => row._row === true);
  for (const row of found) {
    delete (row as Row)._total;
    delete (row as Row)._row;
  }
  return { count, all: count <= probeLimit, rows: found };
}

/** See the file's comment. `afterKeys` are a checked cursor's keys. */
export async function searchPage(
  sql: Queryable,
  list: KeysetList,
  search: { match: string; walked?: string; alone?: boolean },
  page: { afterKeys?: string[]; offset: number; limit: number },
  options: ListOptions,
): Promise<SearchPage> {
  const { match, walked = search.match } = search;
  const cap = Math.min(options.countExactLimit, options.searchCountExactLimit);
  const probeLimit = Math.max(options.searchProbeLimit, cap);
  /** A total over `read` rows of the list of which `found` matched: the density times the rows of the other filters. */
  const estimate = async (found: number, read: number, floor: number) => {
    // The rows of the other filters (the table's, asked once a minute, when there are none); `match OR true` folds
    // away, but keeps the search's parameter typed.
    const others =
      read === 0 ? 0 : search.alone ? await rowsOf(sql, list.from) : await plannerRows(sql, list.from, [...list.where, `(${match} OR true)`], list.params);
    const rows = read > 0 ? Math.round((others * found) / read) : 0;
    return { total: Math.max(floor, found, rows), totalIsEstimate: true };
  };
  const probed = async () => probe(sql, list, match, page, probeLimit);
  // A count is exact: the contract flags a total only above COUNT_EXACT_LIMIT.
  const counted = (count: number) => ({ total: count, totalIsEstimate: count > options.countExactLimit });

  const matches: Row[] = [];
  let read = 0;
  let afterKeys = page.afterKeys;
  // A table of at most probeLimit rows is probed at once: the probe reads no more than the table.
  if (page.offset === 0 && (await rowsOf(sql, list.from)) > probeLimit) {
    // Enough matches to fill the page and to prove more than `cap` match.
    const need = Math.max(page.limit, cap) + 1;
    const first = need * SEARCH_FIRST_WINDOW_ROWS_PER_MATCH;
    for (const window of [first, need * SEARCH_WINDOW_ROWS_PER_MATCH - first]) {
      const step = await walk(sql, list, walked, { afterKeys, want: need - matches.length, window });
      matches.push(...step.matches);
      read += step.read;
      if (matches.length >= need) return { rows: matches.slice(0, page.limit + 1), ...(await estimate(matches.length, read, cap + 1)) };
      if (!step.stoppedAt) {
        // The end of the list: every match after the start (or the cursor) was seen. After a cursor, count them all.
        const all = page.afterKeys ? await probed() : { all: true, count: matches.length };
        const total = all.all ? counted(all.count) : await estimate(matches.length, read, probeLimit + 1);
        return { rows: matches.slice(0, page.limit + 1), ...total };
      }
      afterKeys = step.stoppedAt;
      if (matches.length === 0) break;
    }
  }
  const found = await probed();
  if (found.all) return { rows: found.rows, ...counted(found.count) };
  // Many matches, spread thinly (or an offset): walk on from where the window stopped, to the page's end.
  const want = page.limit + 1 - matches.length;
  const rest = want > 0 ? await walk(sql, list, walked, { afterKeys, offset: page.offset, want }) : { matches: [], read: 0 };
  const rows = [...matches, ...rest.matches].slice(0, page.limit + 1);
  const searched = await plannerRows(sql, list.from, [...list.where, match], list.params);
  return { rows, total: Math.max(searched, probeLimit + 1, page.offset + rows.length), totalIsEstimate: true };
}
