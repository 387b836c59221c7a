import type { Logger } from './logging';

/**
 * One log line per cause, not one per request: the first fault of a cause is logged at once; while faults of
 * that cause keep coming, one line per window gives their count (600 refused connections in a burst are two
 * lines, not 600). State is per process, as the pools are.
 */
export const FAULT_WINDOW_MS = 10_000;
const open = new Map<string, { count: number }>();

export function reportInWindows(
  logger: Logger,
  key: string,
  fields: Record<string, unknown>,
  first: { err?: unknown; message: string },
  continues: string,
): void {
  const current = open.get(key);
  if (current) {
    current.count++;
    return;
  }
  logger.error({ ...fields, ...(first.err !== undefined && { err: first.err }) }, first.message);
  const window = { count: 0 };
  const tick = () => {
    if (window.count === 0) {
      open.delete(key);
      return;
    }
    logger.error({ ...fields, count: window.count, windowMs: FAULT_WINDOW_MS }, continues);
    window.count = 0;
    setTimeout(tick, FAULT_WINDOW_MS).unref();
  };
  setTimeout(tick, FAULT_WINDOW_MS).unref();
  open.set(key, window);
}
