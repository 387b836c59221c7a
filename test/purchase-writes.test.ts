// A purchase's stock update is heap-only (HOT) (issue 23: the purchase rate at a million items). An update that
// changes no column any index reads writes one row version on the same page and no index entry; one that does adds an
// entry to every index of the table. stock_count stood in the predicates of the in-stock and low-stock indexes (they
// now read the generated in_stock and low_stock), so each purchase added entries to all eleven indexes of items, two
// of them trigram GINs. (The take's movement and the debit's ledger entry get time-ordered ids for the same reason:
// tested beside their endpoints.)
import pg from 'pg';
import { sql, startIsolated } from '@shop/testkit';

/** The indexes of `table` that read `column` (as a key, in an expression or in a predicate). */
const indexesReading = (table: string, column: string) =>
  sql(
    'inventory',
    `SELECT indexrelid::regclass::text AS index FROM pg_index
     WHERE indrelid = $1::regclass
       AND ((SELECT attnum FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2) = ANY (indkey::int2[])
            OR coalesce(pg_get_expr(indpred, indrelid), '') || ' ' || coalesce(pg_get_expr(indexprs, indrelid), '') ~ ('\\m' || $2 || '\\M'))`,
    [table, column],
  );

describe('the columns a purchase changes are in no index, so their updates can be heap-only', () => {
  it.each(['stock_count', 'updated_at'])('items.%s', async (column) => {
    expect(await indexesReading('items', column)).toEqual([]);
  });
});

// The database is the test's own, so no other test's rows share the item's page (and take its free space).
describe("a purchase's stock update (stock_take)", () => {
  it('is heap-only unless the item runs out or crosses its low-stock threshold (which flips in_stock or low_stock)', async () => {
    const { databaseUrl } = await startIsolated('inventory', 0);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const {
        rows: [{ id }],
      } = await client.query(
        `INSERT INTO items (id, name, category, price_cents, stock_count, low_stock_threshold, updated_at)
         VALUES (gen_random_uuid(), 'hot', 'food', 100, 5, 2, now()) RETURNING id`,
      );
      // The backend's counts of updated item rows: not yet reported ones, which may include an earlier transaction's,
      // so each take reads them before and after itself, within its transaction (nothing is reported in between).
      const counts = async () =>
        (
          await client.query(
            `SELECT pg_stat_get_xact_tuples_updated('items'::regclass)::int AS updated, pg_stat_get_xact_tuples_hot_updated('items'::regclass)::int AS hot`,
          )
        ).rows[0] as { updated: number; hot: number };
      /** A take of `quantity` in its own transaction: its outcome, the item rows it updated (and how many heap-only), the flags after. */
      const take = async (reference: string, quantity: number) => {
        await client.query('BEGIN');
        const before = await counts();
        const {
          rows: [taken],
        } = await client.query('SELECT outcome, stock_after FROM stock_take($1, ARRAY[$2::uuid], ARRAY[$3::int])', [reference, id, quantity]);
        const after = await counts();
        await client.query('COMMIT');
        const {
          rows: [flags],
        } = await client.query('SELECT in_stock, low_stock FROM items WHERE id = $1', [id]);
        return { ...taken, updated: after.updated - before.updated, hot: after.hot - before.hot, ...flags };
      };
      expect(await take('sale-1', 1)).toEqual({ outcome: 'taken', stock_after: 4, updated: 1, hot: 1, in_stock: true, low_stock: false });
      expect(await take('sale-2', 2)).toEqual({ outcome: 'taken', stock_after: 2, updated: 1, hot: 0, in_stock: true, low_stock: true });
      expect(await take('sale-3', 1)).toEqual({ outcome: 'taken', stock_after: 1, updated: 1, hot: 1, in_stock: true, low_stock: true });
      expect(await take('sale-4', 1)).toEqual({ outcome: 'taken', stock_after: 0, updated: 1, hot: 0, in_stock: false, low_stock: true });
    } finally {
      await client.end();
    }
  });
});
