// RFC 6750's challenge on every 401: `WWW-Authenticate: Bearer`, and when a token was sent, `error="invalid_token"`
// with an `error_description` (for an expired token: that it expired, and when), so a client knows to refresh
// instead of asking its user to log in again (contract v4, Auth).
import type { Request } from 'express';
import { Unauthorized, type AppError } from './errors';
import { bearerToken } from './auth';

/** RFC 6750 allows only printable ASCII without `"` and `\` in error_description. */
const quotable = (text: string) => text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ');

export function invalidTokenChallenge(description: string): string {
  return `Bearer error="invalid_token", error_description="${quotable(description)}"`;
}

/** The 401 for an access token that expired at `expiredAt`: the detail and the challenge both say when. */
export function expiredToken(expiredAt: Date): AppError {
  const description = `The access token expired at ${expiredAt.toISOString()}`;
  const error = new Unauthorized(`${description}; get a new one with POST /auth/refresh (or log in again)`);
  error.headers = { ...error.headers, 'WWW-Authenticate': invalidTokenChallenge(description) };
  return error;
}

/** The challenge of a 401 that did not bring its own: plain `Bearer` without a token, invalid_token with one. */
export function challengeFor(error: AppError, req: Request | undefined): string | undefined {
  if (error.status !== 401 || error.headers?.['WWW-Authenticate']) return undefined;
  return req && bearerToken(req.headers.authorization) ? invalidTokenChallenge(error.message) : 'Bearer';
}
