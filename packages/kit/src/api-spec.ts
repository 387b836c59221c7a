import type { Request, RequestHandler, Response } from 'express';
import type { User } from './auth';
import type { ProblemCode } from './errors';
import type { z } from './zod';

// What a route declares (RouteSpec) and what its handler gets and gives (Context, Result); api.ts serves them,
// openapi.ts documents them.

/**
 * Who may call a route:
 * - public: anyone; a token, if sent, is ignored
 * - optional: anyone; a token, if sent, must be valid and identifies the caller
 * - user: any signed-in customer or admin
 * - admin: admins only
 * - service: the services named in the route's `callers` only, each by its own credential (another service's
 *   credential and user tokens get 403)
 */
export type Access = 'public' | 'optional' | 'user' | 'admin' | 'service';

/** The services that call others' /internal/ routes. */
export const SERVICE_CALLERS = ['sales', 'reviews', 'inventory'] as const;
export type ServiceCaller = (typeof SERVICE_CALLERS)[number];

export type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType, H extends AnyObject, A extends Access = Access> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express-style path: `/customers/:username`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: A;
  /** For `service` routes: the services that need this route (least privilege: no other may call it). */
  callers?: ServiceCaller[];
  request?: { params?: P; query?: Q; body?: B; headers?: H };
  /** The success answer; `schema` omitted means no body (204). */
  response: { status: number; description: string; schema?: z.ZodType; headers?: Record<string, string> };
  /** Express middleware run after the body is parsed and before validation (e.g. a rate limiter). */
  middleware?: RequestHandler[];
  /** Error codes this route can answer with, beyond those implied by its access and input. */
  errors?: ProblemCode[];
  /**
   * HTTP caching (RFC 9111). Omitted: every answer is `Cache-Control: no-store` (personal data, tokens,
   * writes). `'revalidate'`: a public read whose handler returns a `version`; its 200 carries a strong ETag and
   * `Cache-Control: public, no-cache` (browsers and shared caches may keep it but ask again before each use,
   * because stock changes with every sale; `private, no-cache` when the request carried credentials), and a
   * matching `If-None-Match` gets 304 with no body.
   */
  cache?: 'revalidate';
}

/**
 * The caller, as the route's access rule guarantees it: always there on `user` and `admin` routes, there on
 * `optional` routes when a token was sent, and absent on `public` and `service` routes (no user to speak of).
 */
export type Caller<A extends Access> = A extends 'user' | 'admin' ? { user: User } : A extends 'optional' ? { user: User | undefined } : { user?: never };

export type Context<P, Q, B, H, A extends Access = Access> = Caller<A> & {
  params: P;
  query: Q;
  body: B;
  headers: H;
  /** The request's id (the caller's X-Request-Id or a new one): forward it on calls to other services. */
  requestId: string;
  req: Request;
  res: Response;
};

export interface Result {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * For `cache: 'revalidate'` routes: a cheap string that changes whenever the answer's content can (a row
   * version, a list's count and versions). The ETag is derived from it and the request's query, never the body.
   */
  version?: string;
}
