// `pnpm bench:scale`'s pure parts: percentiles, the small-vs-large table, and the search of EXPLAIN plans for
// sequential scans of large tables (unit-tested in test/unit/bench-scale.test.ts).

export interface Measurement {
  p50: number;
  p95: number;
  rps: number;
  /** Answers of the sequential pass and the load that were not the expected status (or failed). */
  errors: number;
  requests: number;
}

export interface ScaleRow {
  endpoint: string;
  small?: Measurement;
  large?: Measurement;
}

/** The q-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((q / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
// A measurement with any failed answer timed error answers, not the endpoint: it shows no figure to quote.
const cell = (m?: Measurement) =>
  !m
    ? '–'
    : m.errors
      ? `**not valid: ${m.errors} of ${m.requests} answers failed**`
      : `${ms(m.p50)} / ${ms(m.p95)} ms, ${m.rps.toFixed(m.rps >= 100 ? 0 : 1)}/s`;

/** The rows (and sizes) with a measurement that had a failed answer: the run must fail on any. */
export function invalidMeasurements(rows: ScaleRow[]): string[] {
  return rows.flatMap((row) =>
    (['small', 'large'] as const)
      .filter((size) => row[size]?.errors)
      .map((size) => `${row.endpoint} (${size}: ${row[size]!.errors} of ${row[size]!.requests} failed)`),
  );
}

/** large p50 / small p50, and large req/s / small req/s; none when either measurement had a failed answer. */
export function ratios(row: ScaleRow): { p50: number; rps: number } | undefined {
  if (!row.small || !row.large || row.small.errors || row.large.errors) return undefined;
  return { p50: row.large.p50 / row.small.p50, rps: row.large.rps / row.small.rps };
}

/** The issue's table: small and large p50 / p95 and req/s, and the p50 ratio (with the throughput ratio). */
export function markdownTable(rows: ScaleRow[], largeLabel: string): string {
  const lines = [`| endpoint | small: p50 / p95, req/s | ${largeLabel}: p50 / p95, req/s | p50 ratio (req/s ratio) |`, '|---|---|---|---:|'];
  for (const row of rows) {
    const r = ratios(row);
    lines.push(
      `| ${row.endpoint} | ${cell(row.small)} | ${cell(row.large)} | ${r ? `${r.p50.toFixed(1)}× (${Number.isFinite(r.rps) ? `${r.rps.toFixed(2)}×` : '–'})` : '–'} |`,
    );
  }
  return lines.join('\n');
}

/** A node of an EXPLAIN (FORMAT JSON) plan, as far as the check reads it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Every relation a plan reads by a sequential scan (also inside subplans and CTEs). */
export function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** A logged plan: its database, statement and plan. */
export interface LoggedPlan {
  database: string;
  query: string;
  plan: PlanNode;
}

/**
 * Reads auto_explain's entries (log_format json) out of PostgreSQL's jsonlog lines: each line a JSON record whose
 * message is "duration: … ms  plan:\n{…}".
 */
export function plansFromJsonLog(text: string): LoggedPlan[] {
  const plans: LoggedPlan[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let record: { message?: string; dbname?: string };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue;
    }
    const at = record.message?.indexOf('plan:\n') ?? -1;
    if (at < 0) continue;
    try {
      const explained = JSON.parse(record.message!.slice(at + 'plan:\n'.length)) as { 'Query Text': string; Plan: PlanNode };
      // An EXPLAIN without ANALYZE (the lists' estimate of a size) only plans its statement: it reads no row.
      if (/^\s*EXPLAIN\b/i.test(explained['Query Text']) && !/^\s*EXPLAIN\s*(\([^)]*\bANALYZE\b|ANALYZE\b)/i.test(explained['Query Text'])) continue;
      plans.push({ database: record.dbname ?? '', query: explained['Query Text'], plan: explained.Plan });
    } catch {
      // a plan cut short: not one to judge
    }
  }
  return plans;
}

/** The statements that scan a large table sequentially: `large` maps a database to its large tables. */
export function largeSeqScans(plans: LoggedPlan[], large: Record<string, Set<string>>) {
  const found = new Map<string, { database: string; table: string; query: string }>();
  for (const { database, query, plan } of plans) {
    for (const table of seqScans(plan)) {
      if (!large[database]?.has(table)) continue;
      const text = query.replace(/\s+/g, ' ').trim();
      found.set(`${database}:${table}:${text}`, { database, table, query: text });
    }
  }
  return [...found.values()];
}
