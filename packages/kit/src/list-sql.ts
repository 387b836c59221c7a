import type { Queryable } from './database';
import type { KeysetList } from './lists';

// The SQL every list statement is built from, shared by a plain page (lists.ts) and a text search's (search-page.ts).

/**
 * The parts of a list's statements: its order, its keys as text, the condition after a cursor's keys, and the
 * list's whole condition from a cursor's keys on (with its parameters).
 */
export function listSql(list: KeysetList) {
  const direction = list.descending ? 'DESC' : 'ASC';
  const after = (keys: string[], params: unknown[]) => {
    const values = list.keys.map((key, i) => `$${params.push(keys[i])}::${key.type}`);
    return `(${list.keys.map((key) => key.expr).join(', ')}) ${list.descending ? '<' : '>'} (${values.join(', ')})`;
  };
  return {
    order: list.keys.map((key) => `${key.expr} ${direction}`).join(', '),
    keyColumns: list.keys.map((key, i) => `(${key.expr})::text AS "_k${i}"`).join(', '),
    after,
    range: (afterKeys: string[] | undefined) => {
      const params = [...list.params];
      const where = afterKeys ? [...list.where, after(afterKeys, params)] : list.where;
      return { condition: where.length ? where.join(' AND ') : 'true', params };
    },
  };
}

/** The planner's estimate of the rows meeting `conditions` (EXPLAIN: no row is read). */
export async function plannerRows(sql: Queryable, from: string, conditions: string[], params: unknown[]): Promise<number> {
  const [plan] = await sql.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} WHERE ${conditions.length ? conditions.join(' AND ') : 'true'}`,
    ...params,
  );
  return Math.round(plan?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0);
}
