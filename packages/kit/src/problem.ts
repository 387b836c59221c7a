import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { challengeFor } from './challenge';
import { UpstreamUnavailable } from './client';
import { databaseFault, reportDatabaseFault } from './database-faults';
import { currentTrace } from './spans';
import { reportUpstreamFault } from './upstream-faults';
import { AppError, Internal, NotFound, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType, ValidationFailed } from './errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemBody(error: AppError) {
  return {
    type: `https://shop.example/problems/${error.code.replace(/_/g, '-')}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export function sendProblem(res: Response, error: AppError) {
  for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
  const challenge = challengeFor(error, res.req as Request | undefined);
  if (challenge) res.setHeader('WWW-Authenticate', challenge);
  res
    .status(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    // With tracing on, the trace's id: what a user quotes to find their request across the services.
    .send(JSON.stringify(withTraceId(problemBody(error))));
}

function withTraceId<T extends object>(body: T): T & { traceId?: string } {
  const traced = currentTrace();
  return traced ? { ...body, traceId: traced.trace_id } : body;
}

export const notFoundHandler: RequestHandler = (req) => {
  throw new NotFound(`No route for ${req.method} ${req.path}`);
};

/** Maps what the body parser, Prisma and pg throw onto the contract's codes; anything else is a 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // A neighbour that could not be reached is not our bug: the client may retry later.
  if (error instanceof UpstreamUnavailable) return new ServiceUnavailable(`${error.service} is unavailable; try again later`);
  // Nor is our database being down, restarting, locked or too slow (databaseFault says which).
  const fault = databaseFault(error);
  if (fault) {
    return new ServiceUnavailable('The database is unavailable or too slow right now; try again later', fault.retryAfterSeconds);
  }
  const e = error as { type?: string; status?: number; code?: string; meta?: Record<string, unknown> };
  switch (e?.type) {
    case 'entity.parse.failed':
      return new ValidationFailed('The body is not valid JSON');
    case 'entity.too.large':
      return new PayloadTooLarge('The body is larger than this service accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaType('Only UTF-8 JSON bodies are accepted');
  }
  // A path segment whose percent-encoding is not UTF-8 (`/items/a%ED%A0%80b`, a lone surrogate's bytes): the
  // router marks it 400 while matching, before any route runs.
  if (error instanceof URIError && e.status === 400) {
    return new ValidationFailed('A path parameter is not valid UTF-8 once percent-decoded', [{ path: 'params', message: error.message }]);
  }
  // Any other failure to read the body (a gzip stream that does not decode, a truncated request) is the
  // client's: the body parser marks those 400.
  if (e?.status === 400 && (e as { expose?: boolean }).expose) return new ValidationFailed('The body could not be read or decoded');
  if (e?.code === 'P2002') return new AppError(409, 'conflict', 'Conflict', 'The resource already exists');
  if (e?.code === 'P2025') return new NotFound('The resource does not exist');
  return new Internal('Something went wrong on our side; the request id identifies it in our logs');
}

export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const problem = toAppError(error);
  // Expected answers carry no stack: a 4xx is the client's, a 503 a dependency's (its cause is reported once per
  // window, here or where it happened). Only an unexpected error, a 500, is logged with its stack.
  const fault = databaseFault(error);
  if (fault && req.log) reportDatabaseFault(req.log, fault, error);
  else if (!(req.log && reportUpstreamFault(req.log, error)) && problem.status === 500) req.log?.error({ err: error }, 'request failed');
  if (res.headersSent) return res.end();
  sendProblem(res, problem);
};
