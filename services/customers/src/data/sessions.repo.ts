import { byTimeAndId, keysetPage, prepared, type Listed, type ListOptions, type PageQuery } from '@shop/kit';
import type { Role, Session, SessionOwner, SessionsRepo } from '../domain/model';
import type { Db } from './db';

interface SessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  user_agent: string | null;
}
const toSession = (row: SessionRow): Session => ({
  id: row.id,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  userAgent: row.user_agent,
});

// Every authenticated request to customers asks this: planned once per connection.
const ACTIVE = prepared('sessions.active', 'SELECT 1 AS ok FROM sessions WHERE id = $1::uuid AND customer_id = $2::uuid AND expires_at > now()');

/** Sessions and their refresh tokens (stored only as SHA-256 hashes). An ended session is a deleted row. */
export function sessionsRepo(db: Db, lists: ListOptions): SessionsRepo {
  return {
    /**
     * Opens a session, only while `passwordHash` is still the customer's: a login that checked the old
     * password cannot open a session after a password change has ended them all. The customer's row lock
     * orders concurrent logins, so the cap holds: past `maxSessions`, the oldest sessions end (and are
     * published as ended, by the trigger). Drops the customer's expired sessions on the way.
     */
    async open(input: { customerId: string; passwordHash: string; tokenHash: string; ttlDays: number; userAgent: string | null; maxSessions: number }) {
      return db.sql.transaction(async (tx) => {
        const [owner] = await tx.query(
          'SELECT 1 AS ok FROM customers WHERE id = $1::uuid AND password_hash = $2 FOR NO KEY UPDATE',
          input.customerId,
          input.passwordHash,
        );
        if (!owner) return undefined;
        await tx.execute(
          `DELETE FROM sessions WHERE customer_id = $1::uuid AND (expires_at <= now() OR id IN (
             SELECT id FROM sessions WHERE customer_id = $1::uuid AND expires_at > now() ORDER BY created_at DESC, id DESC OFFSET $2))`,
          input.customerId,
          input.maxSessions - 1,
        );
        const [row] = await tx.query<{ session_id: string }>(
          `WITH s AS (INSERT INTO sessions (id, customer_id, expires_at, user_agent)
                      VALUES (gen_random_uuid(), $1::uuid, now() + make_interval(days => $2::int), $3) RETURNING id)
           INSERT INTO refresh_tokens (token_hash, session_id) SELECT $4, id FROM s RETURNING session_id`,
          input.customerId,
          input.ttlDays,
          input.userAgent,
          input.tokenHash,
        );
        return row?.session_id;
      });
    },

    async isActive(sessionId: string, customerId: string): Promise<boolean> {
      return (await db.sql.query(ACTIVE, sessionId, customerId)).length > 0;
    },

    /**
     * Exchanges a refresh token for a new one in the same session (and moves the session's expiry on). An
     * already-rotated token means it was copied: that ends the whole session. Concurrent refreshes with one
     * token: the row lock lets one rotate it; the others find it rotated.
     */
    async rotate(tokenHash: string, newTokenHash: string, ttlDays: number): Promise<SessionOwner | 'reused' | undefined> {
      return db.sql.transaction(async (tx) => {
        const [token] = await tx.query<{ session_id: string; rotated: boolean }>(
          `WITH t AS (SELECT session_id, rotated_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE)
           UPDATE refresh_tokens r SET rotated_at = now() FROM t WHERE r.token_hash = $1
           RETURNING t.session_id, t.rotated_at IS NOT NULL AS rotated`,
          tokenHash,
        );
        if (!token) return undefined;
        if (token.rotated) {
          await tx.execute('DELETE FROM sessions WHERE id = $1::uuid', token.session_id);
          return 'reused';
        }
        const [owner] = await tx.query<{ session_id: string; id: string; username: string; role: Role }>(
          `UPDATE sessions s SET last_used_at = now(), expires_at = now() + make_interval(days => $2::int)
           FROM customers c WHERE s.id = $1::uuid AND s.expires_at > now() AND c.id = s.customer_id
           RETURNING s.id AS session_id, c.id, c.username, c.role`,
          token.session_id,
          ttlDays,
        );
        if (!owner) return undefined;
        await tx.execute('INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2::uuid)', newTokenHash, owner.session_id);
        return { sessionId: owner.session_id, id: owner.id, username: owner.username, role: owner.role };
      });
    },

    /** Ends the session a refresh token belongs to (rotated or not). */
    async endByToken(tokenHash: string): Promise<void> {
      await db.sql.execute('DELETE FROM sessions WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1)', tokenHash);
    },

    async list(customerId: string, page: PageQuery): Promise<{ data: Session[] } & Listed> {
      const { rows, listed } = await keysetPage<SessionRow>(
        db.sql,
        {
          binding: ['sessions', customerId],
          select: 'id, created_at, last_used_at, expires_at, user_agent',
          from: 'sessions',
          where: ['customer_id = $1::uuid AND expires_at > now()'],
          params: [customerId],
          keys: byTimeAndId(),
          descending: true,
        },
        page,
        lists,
      );
      return { ...listed, data: rows.map(toSession) };
    },

    async end(customerId: string, sessionId: string): Promise<boolean> {
      return (await db.sql.execute('DELETE FROM sessions WHERE id = $1::uuid AND customer_id = $2::uuid AND expires_at > now()', sessionId, customerId)) > 0;
    },

    async endAll(customerId: string): Promise<void> {
      await db.sql.execute('DELETE FROM sessions WHERE customer_id = $1::uuid', customerId);
    },
  };
}
