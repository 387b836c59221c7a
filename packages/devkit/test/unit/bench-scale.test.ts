// The pure helpers of `pnpm bench:scale` (bench/scale-report.ts, bench/scale-load.ts): the bench itself is run by
// hand, never in the test run.
import { buuid, scaleSizes } from '../../../../bench/scale-load';
import { invalidMeasurements, largeSeqScans, markdownTable, percentile, plansFromJsonLog, seqScans, type PlanNode } from '../../../../bench/scale-report';

describe('bench:scale helpers', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 1…200, unsorted
    expect(percentile(values, 50)).toBe(100);
    expect(percentile(values, 95)).toBe(190);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('finds sequential scans at any depth of a plan', () => {
    const plan: PlanNode = {
      'Node Type': 'Limit',
      Plans: [
        { 'Node Type': 'Index Scan', 'Relation Name': 'items' },
        { 'Node Type': 'Aggregate', Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'reviews' }] },
      ],
    };
    expect(seqScans(plan)).toEqual(['reviews']);
  });

  it("reads auto_explain's plans from jsonlog lines and keeps only scans of large tables, once per statement", () => {
    const entry = (db: string, query: string, relation: string) =>
      JSON.stringify({
        dbname: db,
        message: `duration: 1.0 ms  plan:\n${JSON.stringify({ 'Query Text': query, Plan: { 'Node Type': 'Seq Scan', 'Relation Name': relation } })}`,
      });
    const log = [
      entry('inv', 'SELECT * FROM items', 'items'),
      entry('inv', 'SELECT  *  FROM items', 'items'),
      entry('inv', 'SELECT * FROM event_feeds', 'event_feeds'),
      // A plan only asked for (a planner's estimate of a size) is never run: it scans nothing.
      entry('inv', 'EXPLAIN (FORMAT JSON) SELECT 1 FROM items WHERE true', 'items'),
      '{"message":"connection received"}',
      'not json',
    ].join('\n');
    const plans = plansFromJsonLog(log);
    expect(plans).toHaveLength(3);
    expect(largeSeqScans(plans, { inv: new Set(['items']) })).toEqual([{ database: 'inv', table: 'items', query: 'SELECT * FROM items' }]);
  });

  it("prints the issue's table with the ratio of each endpoint", () => {
    const table = markdownTable(
      [
        { endpoint: 'GET /items', small: { p50: 2, p95: 3, rps: 1500, errors: 0, requests: 10 }, large: { p50: 4, p95: 5, rps: 750, errors: 0, requests: 10 } },
        { endpoint: 'GET /goods', small: { p50: 1, p95: 1, rps: 9000, errors: 0, requests: 10 } },
      ],
      '1M items',
    );
    expect(table.split('\n')).toEqual([
      '| endpoint | small: p50 / p95, req/s | 1M items: p50 / p95, req/s | p50 ratio (req/s ratio) |',
      '|---|---|---|---:|',
      '| GET /items | 2.00 / 3.00 ms, 1500/s | 4.00 / 5.00 ms, 750/s | 2.0× (0.50×) |',
      '| GET /goods | 1.00 / 1.00 ms, 9000/s | – | – |',
    ]);
  });

  it('shows no figure or ratio for a measurement with a failed answer, and names it as failing the run', () => {
    const rows = [
      {
        endpoint: 'GET /customers',
        small: { p50: 2, p95: 3, rps: 900, errors: 0, requests: 10 },
        large: { p50: 0.5, p95: 0.9, rps: 9000, errors: 7, requests: 10 },
      },
      { endpoint: 'GET /items', small: { p50: 2, p95: 3, rps: 900, errors: 0, requests: 10 }, large: { p50: 2, p95: 3, rps: 900, errors: 0, requests: 10 } },
    ];
    expect(markdownTable(rows, '1M').split('\n')[2]).toBe('| GET /customers | 2.00 / 3.00 ms, 900/s | **not valid: 7 of 10 answers failed** | – |');
    expect(invalidMeasurements(rows)).toEqual(['GET /customers (large: 7 of 10 failed)']);
  });

  it('scales the sizes and derives the same v4-shaped ids as the SQL does', () => {
    expect(scaleSizes(1)).toMatchObject({ items: 1_000_000, customers: 200_000, sales: 1_000_000, reviews: 1_000_000, famousReviews: 50_000 });
    expect(scaleSizes(0.1, 0.01)).toMatchObject({ items: 100_000, heavySales: 2_000, events: 10_000 });
    expect(buuid('i', 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
