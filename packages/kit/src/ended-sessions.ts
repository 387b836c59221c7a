import { z } from 'zod';
import type { Logger } from './logging';

/** Customers' feed of ended sessions: the path on the origin of JWKS_URL (docs/sessions.md). */
export const ENDED_SESSIONS_PATH = '/internal/sessions/ended';

export interface EndedSessionsOptions {
  /** The feed's address (customers' origin + ENDED_SESSIONS_PATH). */
  url: string;
  /** This service's credential for customers' /internal/ routes. */
  credential: string;
  logger: Logger;
  /** How often the feed is read (the contract allows 5 s from an end to its refusal everywhere). */
  intervalMs?: number;
  timeoutMs?: number;
}

const pageSchema = z.object({
  sessions: z.array(z.object({ id: z.string(), until: z.iso.datetime({ offset: true }) })).max(10_000),
  nextCursor: z.string().max(500),
  more: z.boolean(),
});

// A read ends after this many pages; the rest is read on the next tick (a burst of ends cannot stall a poll).
const PAGES_PER_POLL = 20;

/**
 * The sessions customers has ended (logout, session end, password change, deletion, a stolen refresh token,
 * the sessions cap), as one process learns them: one poller per process reads the feed every `intervalMs`,
 * shared by every request (a request never calls customers). An id is kept until every access token of its
 * session has expired (`until`), so memory is bounded by the ends of one access-token lifetime. While the
 * feed cannot be read, what is held is kept and the reads go on; the cause is logged once.
 */
export function endedSessionsFeed(options: EndedSessionsOptions) {
  const { url, credential, logger, intervalMs = 1_000, timeoutMs = 2_000 } = options;
  const ended = new Map<string, number>();
  let cursor: string | undefined;
  let firstReadDone = false;
  let lastProblem: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function readPage() {
    const address = new URL(url);
    if (cursor) address.searchParams.set('after', cursor);
    const response = await fetch(address, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { authorization: `Bearer ${credential}`, accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return pageSchema.parse(await response.json());
  }

  async function poll() {
    try {
      for (let page = 0; page < PAGES_PER_POLL; page++) {
        const answer = await readPage();
        for (const session of answer.sessions) ended.set(session.id, Date.parse(session.until));
        cursor = answer.nextCursor;
        if (!answer.more) break;
      }
      const now = Date.now();
      for (const [id, until] of ended) if (until <= now) ended.delete(id);
      if (lastProblem) logger.info('reading ended sessions again');
      lastProblem = undefined;
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      if (problem !== lastProblem) logger.warn({ problem, held: ended.size }, 'could not read the ended sessions; keeping those held and trying again');
      lastProblem = problem;
    } finally {
      firstReadDone = true;
    }
  }

  const schedule = () => {
    if (!stopped) timer = setTimeout(() => void poll().then(schedule), intervalMs).unref();
  };
  void poll().then(schedule);

  return {
    /** Has this session been ended (as far as the last read of the feed knows)? */
    has: (sessionId: string) => ended.has(sessionId),
    /**
     * True once the first read has finished: normally the ends of the last token lifetime are held then. A first
     * read that failed (customers refusing this service's credential, say) is logged and does not hold the
     * service back: it serves, and reads again every second.
     */
    isReady: () => firstReadDone,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
export type EndedSessions = ReturnType<typeof endedSessionsFeed>;
