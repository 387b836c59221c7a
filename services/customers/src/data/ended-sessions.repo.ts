import type { EndedSession, EndedSessionsRepo } from '../domain/model';
import type { Db } from './db';

/** Ended sessions: a trigger on sessions writes them (migration 20261206210000_ended_sessions); read here by keyset. */
export function endedSessionsRepo(db: Db): EndedSessionsRepo {
  return {
    async after(position: { endedAt: Date; sessionId: string }, limit: number): Promise<EndedSession[]> {
      const rows = await db.sql.query<{ session_id: string; ended_at: Date }>(
        `SELECT session_id, ended_at FROM ended_sessions WHERE (ended_at, session_id) > ($1::timestamptz, $2::uuid)
         ORDER BY ended_at, session_id LIMIT $3`,
        position.endedAt,
        position.sessionId,
        limit,
      );
      return rows.map((row) => ({ sessionId: row.session_id, endedAt: row.ended_at }));
    },
  };
}
