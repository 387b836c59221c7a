import { TOKEN_CLOCK_SKEW_SECONDS } from '@shop/kit/tokens';
import type { EndedSessionsRepo } from './model';

/**
 * How far back each read of the feed looks again once it has caught up. An end is stamped when its row is
 * deleted and becomes visible when its transaction commits, so a transaction that commits late shows up behind
 * rows already read: every transaction that ends sessions commits well within this (statements are bounded by
 * DATABASE_STATEMENT_TIMEOUT_MS), and the reader keeps a set, so reading an end twice costs nothing.
 */
export const FEED_OVERLAP_MS = 10_000;
export const FEED_PAGE_SIZE = 1_000;
const NIL = '00000000-0000-0000-0000-000000000000';

/**
 * Where a reader is: `highWater`, the latest end it has been given; `endedAt`/`sessionId`, the last row of the
 * page it read (within a catch-up) or `highWater - FEED_OVERLAP_MS` (once caught up). Opaque to readers.
 */
export interface FeedCursor {
  highWater: number;
  endedAt: number;
  sessionId: string;
}
const CURSOR = /^(\d{1,15})\.(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
export const encodeCursor = (cursor: FeedCursor) => Buffer.from(`${cursor.highWater}.${cursor.endedAt}.${cursor.sessionId}`).toString('base64url');
/** Undefined for anything that is not a cursor this feed gave out. */
export function decodeCursor(text: string): FeedCursor | undefined {
  const match = CURSOR.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (!match || encodeCursor({ highWater: Number(match[1]), endedAt: Number(match[2]), sessionId: match[3]! }) !== text) return undefined;
  return { highWater: Number(match[1]), endedAt: Number(match[2]), sessionId: match[3]! };
}

/**
 * The feed of ended sessions the other services' verifiers read every second or so (docs/sessions.md). Each
 * end carries `until`: when the last access token its session could have issued has expired (after which a
 * reader forgets it). Retention keeps the rows a little longer than that, so a reader that starts fresh
 * learns every end that still matters from its first read.
 */
export function endedSessionsFeed(deps: { ended: EndedSessionsRepo; tokenLifetimeSeconds: number }) {
  const lifetimeMs = (deps.tokenLifetimeSeconds + TOKEN_CLOCK_SKEW_SECONDS) * 1000;
  return {
    /** Rows are kept this long (then retention deletes them). */
    keepSeconds: deps.tokenLifetimeSeconds + TOKEN_CLOCK_SKEW_SECONDS + FEED_OVERLAP_MS / 1000 + 60,

    async page(cursor: FeedCursor | undefined) {
      const from = cursor ?? { highWater: 0, endedAt: 0, sessionId: NIL };
      const rows = await deps.ended.after({ endedAt: new Date(from.endedAt), sessionId: from.sessionId }, FEED_PAGE_SIZE + 1);
      const more = rows.length > FEED_PAGE_SIZE;
      const page = rows.slice(0, FEED_PAGE_SIZE);
      const last = page.at(-1);
      const highWater = Math.max(from.highWater, last?.endedAt.getTime() ?? 0);
      const next: FeedCursor = more
        ? { highWater, endedAt: last!.endedAt.getTime(), sessionId: last!.sessionId }
        : { highWater, endedAt: Math.max(0, highWater - FEED_OVERLAP_MS), sessionId: NIL };
      return {
        sessions: page.map((row) => ({ id: row.sessionId, until: new Date(row.endedAt.getTime() + lifetimeMs).toISOString() })),
        nextCursor: encodeCursor(next),
        more,
      };
    },
  };
}
export type EndedSessionsFeed = ReturnType<typeof endedSessionsFeed>;
