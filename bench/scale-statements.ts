// BENCH_SCALE_STATEMENTS=1: where each statement's time goes, small against large. pg_stat_statements is loaded
// beside auto_explain (track = all: the statements inside functions and triggers too), reset before each size's
// measurements and read after them; the report joins the two by statement text. It slows both sizes alike, so a run
// with it profiles and a run without it is the one to quote. This is how the purchase's writes were found
// (docs/performance.md, "The purchase at a million rows").
import { query } from './settings';

export const STATEMENTS = process.env.BENCH_SCALE_STATEMENTS === '1';

/** The server settings it needs (a restart loads the library); shared_preload_libraries is set by the caller. */
export const STATEMENT_SETTINGS: Array<[string, string]> = [['pg_stat_statements.track', 'all']];

export interface StatementFigures {
  database: string;
  query: string;
  calls: number;
  /** Mean execution time, ms. */
  meanMs: number;
  /** WAL bytes, full-page images and pages read from outside shared_buffers, per call. */
  walBytes: number;
  fullPageImages: number;
  pagesRead: number;
}

/** Clears the cluster's statement statistics (every database's). */
export async function resetStatements(url: string): Promise<void> {
  await query(url, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await query(url, 'SELECT pg_stat_statements_reset()');
}

/** The `limit` statements with the most execution time since the last reset. */
export async function readStatements(url: string, limit = 40): Promise<StatementFigures[]> {
  const rows = await query(
    url,
    `SELECT d.datname AS database, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 200) AS query, s.calls::int AS calls,
            s.total_exec_time / s.calls AS mean_ms, s.wal_bytes::float8 / s.calls AS wal, s.wal_fpi::float8 / s.calls AS fpi,
            s.shared_blks_read::float8 / s.calls AS read
     FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE s.query NOT LIKE '%pg_stat_statements%' ORDER BY s.total_exec_time DESC LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    database: String(row.database).replace(/^shop_test_([a-z]+)_.*$/, '$1'),
    query: row.query as string,
    calls: row.calls as number,
    meanMs: Number(row.mean_ms),
    walBytes: Number(row.wal),
    fullPageImages: Number(row.fpi),
    pagesRead: Number(row.read),
  }));
}

/** The large size's statements, heaviest first, beside the same statement's small figures. */
export function statementsTable(small: StatementFigures[], large: StatementFigures[]): string {
  const bySmall = new Map(small.map((s) => [`${s.database} ${s.query}`, s]));
  const cell = (s: StatementFigures | undefined, pick: (s: StatementFigures) => string) => (s ? pick(s) : '–');
  const lines = large.map((l) => {
    const s = bySmall.get(`${l.database} ${l.query}`);
    const ms = (x: StatementFigures) => x.meanMs.toFixed(3);
    const wal = (x: StatementFigures) => `${(x.walBytes / 1024).toFixed(1)} KB`;
    return `| ${l.database} | \`${l.query.replace(/\|/g, '\\|').slice(0, 120)}\` | ${l.calls} | ${cell(s, ms)} → ${ms(l)} | ${cell(s, wal)} → ${wal(l)} | ${l.fullPageImages.toFixed(1)} | ${l.pagesRead.toFixed(1)} |`;
  });
  return [
    '| database | statement | calls (large) | mean ms, small → large | WAL per call | full-page images per call (large) | pages read per call (large) |',
    '|---|---|---:|---|---|---:|---:|',
    ...lines,
  ].join('\n');
}
