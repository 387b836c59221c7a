import type { AccountsRepo } from '../domain/model';
import type { Db } from './db';

/** An account's id and creation time, by primary key. */
export function accountsRepo(db: Db): AccountsRepo {
  return {
    async facts(id: string) {
      const [row] = await db.sql.query<{ id: string; created_at: Date }>('SELECT id, created_at FROM customers WHERE id = $1::uuid', id);
      return row && { id: row.id, createdAt: row.created_at.toISOString() };
    },
  };
}
