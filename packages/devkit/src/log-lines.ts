import readline from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * A service's pino output made readable in a terminal (the idea of pino-pretty, without its dependency
 * tree): one line per event, prefixed with the service's name, with the time, level, message and the
 * event's fields; an error's stack follows on its own prefixed lines. Lines that are not JSON (a crash's
 * stderr, a Node warning) pass through with the prefix. `json: true` passes every line through as it is,
 * for machines (`LOG_FORMAT=json`).
 */
export function pipeServiceLogs(
  name: string,
  streams: Array<Readable | null | undefined>,
  options: { json: boolean; width?: number; write?: (line: string) => void },
) {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  for (const stream of streams) {
    if (!stream) continue;
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      if (options.json) write(line);
      else for (const out of formatLogLine(name, line, options.width)) write(out);
    });
  }
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, shown in their own places or not at all (pid and hostname say nothing locally). */
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err', 'req', 'res', 'responseTime']);

/** A pino line as far as it is shown here; the values are what pino and pino-http write, or absent. */
interface LogEvent {
  level: number;
  time?: number;
  msg?: string;
  req?: { method?: string; path?: string; id?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { stack?: unknown; type?: string; message?: string };
  [field: string]: unknown;
}

/** One raw output line of a service → the lines to print. */
export function formatLogLine(name: string, line: string, width = name.length): string[] {
  const prefix = `${name.padEnd(width)} |`;
  let event: LogEvent;
  try {
    event = JSON.parse(line) as LogEvent;
  } catch {
    return [`${prefix} ${line}`];
  }
  if (!event || typeof event !== 'object' || typeof event.level !== 'number') return [`${prefix} ${line}`];

  const time = typeof event.time === 'number' ? new Date(event.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[event.level] ?? String(event.level)).padEnd(5);
  const parts = [time, level, event.msg ?? ''];
  // pino-http's "request completed": the request and its answer in a few words.
  if (event.req && event.res)
    parts.push(`${event.req.method} ${event.req.path} → ${event.res.statusCode}${event.responseTime !== undefined ? ` in ${event.responseTime} ms` : ''}`);
  if (event.req?.id) parts.push(`requestId=${event.req.id}`);
  for (const [key, value] of Object.entries(event)) {
    if (!OWN_FIELDS.has(key)) parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  const lines = [`${prefix} ${parts.filter(Boolean).join(' ')}`];
  const err = event.err;
  if (err && typeof err === 'object') {
    const stack: string = typeof err.stack === 'string' ? err.stack : `${err.type ?? 'Error'}: ${err.message ?? ''}`;
    for (const stackLine of stack.split('\n')) lines.push(`${prefix}     ${stackLine}`);
  }
  return lines;
}
