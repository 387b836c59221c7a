import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { currentTrace } from './spans';

export type { Logger };

/** Secrets and personal data never reach the logs: headers with credentials and any password field. */
const redact = {
  paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.passwordHash', '*.accessToken'],
  censor: '[redacted]',
};

/** `to: 'stderr'` for a command whose stdout is its report (the books audit's `--json`). */
export function createLogger(service: string, level: string, to: 'stdout' | 'stderr' = 'stdout'): Logger {
  // With tracing on, each line inside a traced operation carries its trace_id and span_id (a trace's id finds its lines).
  const options = { name: service, level, redact, mixin: () => currentTrace() ?? {} };
  return to === 'stderr' ? pino(options, pino.destination(2)) : pino(options);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is sane, otherwise a new one; echoed on every response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestId,
    // Query strings and bodies may carry personal data (search terms, names): log the route only.
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // A 503 is an expected answer while a dependency is down; its cause is logged once (database-faults.ts),
    // not once per request at error level.
    // pino-http gives every 5xx an `err` with a stack of its own making ("failed with status code 503"): dropped, as a
    // 503 is an expected answer and a 500's real error is logged with its stack by the error handler (problem.ts).
    customErrorObject: (_req, _res, _error, { err: _dropped, ...line }: Record<string, unknown>) => line,
    customLogLevel: (_req, res, err) => (res.statusCode === 503 ? 'info' : err || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/ready' || req.url === '/metrics' },
  });
}
