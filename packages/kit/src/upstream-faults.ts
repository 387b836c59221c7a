import { UpstreamUnavailable } from './client';
import { reportInWindows } from './fault-windows';
import type { Logger } from './logging';

/** Why a neighbour did not answer, in a few bounded words (the log's cause; the full reason is in the first line). */
function causeOf(error: UpstreamUnavailable): string {
  if (/answered 5\d\d/.test(error.message)) return 'answered_5xx';
  if (/no answer within/.test(error.message)) return 'timeout';
  return 'unreachable';
}

/**
 * A neighbouring service that is down is an expected 503, not our bug: one line when it starts failing (with the
 * reason, no stack), then one per window with the count while it lasts, as for the database (database-faults.ts).
 * Answers true when `error` was such a fault.
 */
export function reportUpstreamFault(logger: Logger, error: unknown): boolean {
  if (!(error instanceof UpstreamUnavailable)) return false;
  const cause = causeOf(error);
  reportInWindows(
    logger,
    `upstream:${error.service}:${cause}`,
    { upstream: error.service, cause },
    { message: `${error.message}: answering 503 while it lasts` },
    `${error.service} still unavailable`,
  );
  return true;
}
