import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { z } from './zod';
import { bearerToken, createTokenVerifier, isServiceToken, jwksKeyResolver, type TokenVerifier, type User } from './auth';
import { AppError, Forbidden, Internal, Unauthorized, ValidationFailed, problemCodes, problemTitles, type FieldError, type ProblemCode } from './errors';
import { problemBody } from './problem';

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
export const SERVICE_CALLERS = ['sales', 'reviews'] as const;
export type ServiceCaller = (typeof SERVICE_CALLERS)[number];

type AnyObject = z.ZodObject<z.ZodRawShape>;

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
  middleware?: express.RequestHandler[];
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
export type Caller<A extends Access> = A extends 'user' | 'admin'
  ? { user: User }
  : A extends 'optional'
    ? { user: User | undefined }
    : { user?: never };

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

const REVALIDATE = 'public, no-cache';
const REVALIDATE_PRIVATE = 'private, no-cache';

/** A strong, opaque entity tag: a short hash, so row versions (transaction ids) are not disclosed. */
export function entityTag(version: string, query: string): string {
  return `"${createHash('sha1').update(version).update('\u0000').update(query).digest('base64url').slice(0, 22)}"`;
}

/** If-None-Match (RFC 9110 §13.1.2): `*`, or a list of tags compared weakly (a W/ prefix is ignored). */
export function noneMatch(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === tag);
}

const empty = z.object({});

/** The client's address as the app's `trust proxy` setting reads it (for per-address limits). */
export const clientAddress = (req: Request) => req.ip ?? 'unknown';

/** For answers that carry tokens or personal data. */
export const NO_STORE = { 'Cache-Control': 'no-store' } as const;

export interface ApiOptions {
  verifyToken: TokenVerifier;
  /**
   * The credentials each calling service presents on our /internal/ routes (one secret per caller→callee pair;
   * several during a rotation). A service that calls nobody's internal routes here is absent.
   */
  callers?: Partial<Record<ServiceCaller, readonly string[]>>;
  /** Check every answer against its documented schema (tests and development). */
  validateResponses: boolean;
}

/**
 * One place per route for its validation, access rule and OpenAPI description: the same zod schemas
 * validate the request, document it, and (outside production) check the answer.
 */
export function createApi(options: ApiOptions) {
  const registry = new OpenAPIRegistry();
  const router = express.Router();
  registry.register('Problem', problemSchema);
  // Security schemes are declared when the first route uses them: an unused one is a lint error.
  const declared = new Set<string>();
  const declareScheme = (name: string, scheme: Record<string, string>) => {
    if (declared.has(name)) return;
    declared.add(name);
    registry.registerComponent('securitySchemes', name, scheme as never);
  };
  const declareSchemes = (spec: { access: Access; callers?: ServiceCaller[] }) => {
    if (spec.access === 'public') return;
    if (spec.access !== 'service') {
      declareScheme('bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from customers POST /auth/login' });
      return;
    }
    for (const caller of spec.callers ?? []) {
      declareScheme(serviceScheme(caller), {
        type: 'http',
        scheme: 'bearer',
        description: `For services only (the /internal/ routes): the credential ${caller} holds for this service (\`${caller.toUpperCase()}_TO_<SERVICE>_TOKEN\`). People use bearer.`,
      });
    }
  };

  /** Which calling service this token belongs to. Every credential is compared (in constant time), so timing says nothing. */
  function callerOf(token: string): ServiceCaller | undefined {
    let found: ServiceCaller | undefined;
    for (const caller of SERVICE_CALLERS) {
      for (const credential of options.callers?.[caller] ?? []) if (isServiceToken(token, credential)) found = caller;
    }
    return found;
  }

  async function authenticate(access: Access, callers: ServiceCaller[], req: Request): Promise<User | undefined> {
    if (access === 'public') return undefined;
    const token = bearerToken(req.headers.authorization);
    if (access === 'service') {
      const caller = token ? callerOf(token) : undefined;
      if (caller && callers.includes(caller)) return undefined;
      if (caller) throw new Forbidden(`This internal route is not for ${caller}`);
      if (token && (await options.verifyToken(token).catch(() => undefined))) {
        throw new Forbidden('Internal routes are for services only');
      }
      throw new Unauthorized('A service credential is required');
    }
    // A service reading an optional route (sales lists inventory's items) is an anonymous caller there.
    if (access === 'optional' && token && callerOf(token)) return undefined;
    if (!token) {
      if (access === 'optional') return undefined;
      throw new Unauthorized('Send an access token: Authorization: Bearer <token>');
    }
    const user = await options.verifyToken(token);
    if (access === 'admin' && user.role !== 'admin') throw new Forbidden('This needs the admin role');
    return user;
  }

  function route<
    P extends AnyObject = typeof empty,
    Q extends AnyObject = typeof empty,
    B extends z.ZodType = z.ZodUndefined,
    H extends AnyObject = typeof empty,
    A extends Access = Access,
  >(
    spec: RouteSpec<P, Q, B, H, A>,
    handler: (ctx: Context<z.output<P>, z.output<Q>, z.output<B>, z.output<H>, A>) => Promise<Result> | Result,
  ) {
    if (spec.access === 'service' && !spec.callers?.length) throw new Error(`${spec.method} ${spec.path}: a service route names its callers`);
    declareSchemes(spec);
    document(registry, spec);
    const { params = empty, query = empty, body, headers = empty } = spec.request ?? {};
    router[spec.method](spec.path, ...(spec.middleware ?? []), async (req: Request, res: Response) => {
      // Problems and everything not declared cacheable are never stored.
      res.setHeader('Cache-Control', 'no-store');
      const user = await authenticate(spec.access, spec.callers ?? [], req);
      // An answer to a signed-in caller is theirs alone (a profile, a wallet, a history): no cache may keep it.
      // Public routes that hand out tokens or personal data set the header themselves.
      if (user) res.setHeader('Cache-Control', NO_STORE['Cache-Control']);
      const errors: FieldError[] = [];
      const parse = <T extends z.ZodType>(where: string, schema: T, value: unknown): z.output<T> => {
        const nul = pathToNul(value);
        if (nul) {
          errors.push({ path: [where, ...nul].join('.'), message: 'must not contain the NUL character (U+0000)' });
          return undefined as z.output<T>;
        }
        const result = schema.safeParse(value);
        if (result.success) return result.data;
        for (const issue of result.error.issues) {
          errors.push({ path: [where, ...issue.path].join('.'), message: issue.message });
        }
        return undefined as z.output<T>;
      };
      // A part the route does not declare is not parsed (its schema is `empty`, which accepts anything), but
      // the query is still checked for NUL characters, which no route may pass on.
      const input = {
        params: params === empty ? {} : parse('params', params, req.params),
        query: parse('query', query, req.query),
        headers: headers === empty ? {} : parse('headers', headers, req.headers),
        body: body ? parse('body', body, req.body) : undefined,
      };
      if (errors.length) throw new ValidationFailed('The request is not valid', errors);
      // pino-http's genReqId (logging.ts) always gives a string.
      const result = await handler({ ...input, user, requestId: req.id as string, req, res } as never);
      const status = result.status ?? spec.response.status;
      if (options.validateResponses && spec.response.schema && status === spec.response.status) {
        const checked = spec.response.schema.safeParse(result.body);
        if (!checked.success) throw new Internal(`response does not match its schema: ${checked.error.message}`);
      }
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      if (spec.cache && status === 200) {
        if (result.version === undefined) throw new Internal(`${spec.method} ${spec.path}: a cached read returns its version`);
        const query = req.url.indexOf('?');
        const tag = entityTag(result.version, query < 0 ? '' : req.url.slice(query + 1));
        // A request with credentials may have been answered for its caller (an admin's view): no shared cache.
        res.setHeader('ETag', tag).setHeader('Cache-Control', req.headers.authorization ? REVALIDATE_PRIVATE : REVALIDATE);
        if (noneMatch(req.headers['if-none-match'], tag)) return void res.status(304).end();
      }
      if (result.body === undefined) res.status(status).end();
      else res.status(status).json(result.body);
    });
  }

  return { router, registry, route };
}
export type Api = ReturnType<typeof createApi>;

/**
 * The api of a service that verifies people's tokens with the keys customers publishes (every service but
 * customers). `callers`: the credentials its /internal/ routes accept, per calling service.
 */
export function createServiceApi(config: { JWKS_URL: string; NODE_ENV: string }, callers?: ApiOptions['callers']): Api {
  const verifyToken = createTokenVerifier(jwksKeyResolver(config.JWKS_URL));
  return createApi({ verifyToken, callers, validateResponses: config.NODE_ENV !== 'production' });
}

/** The api of a service that verifies tokens with the keys customers publishes (every service but customers). */
export function createServiceApi(config: { JWKS_URL: string; SERVICE_TOKEN: string; NODE_ENV: string }): Api {
  const verifyToken = createTokenVerifier(jwksKeyResolver(config.JWKS_URL));
  return createApi({ verifyToken, serviceToken: config.SERVICE_TOKEN, validateResponses: config.NODE_ENV !== 'production' });
}

/**
 * PostgreSQL text cannot hold U+0000: find it anywhere in the input so it is a 400, not a 500. A walk with its
 * own stack (no recursion, whatever the depth) that builds a path only for the value that holds a NUL.
 */
function pathToNul(root: unknown): string[] | undefined {
  interface Step {
    value: unknown;
    key?: string;
    parent?: Step;
  }
  const pathOf = (step: Step | undefined, last?: string) => {
    const path = last === undefined ? [] : [last];
    for (; step?.key !== undefined; step = step.parent) path.unshift(step.key);
    return path;
  };
  const stack: Step[] = [{ value: root }];
  for (let step = stack.pop(); step; step = stack.pop()) {
    const { value } = step;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return pathOf(step);
    } else if (value && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        if (key.includes('\u0000')) return pathOf(step, key);
        stack.push({ value: (value as Record<string, unknown>)[key], key, parent: step });
      }
    }
  }
  return undefined;
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(problemCodes) as [ProblemCode, ...ProblemCode[]]),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

function errorCodesFor(spec: RouteSpec<AnyObject, AnyObject, z.ZodType, AnyObject>): ProblemCode[] {
  const codes = new Set<ProblemCode>(spec.errors ?? []);
  const { request } = spec;
  if (request && Object.values(request).some(Boolean)) codes.add('validation_failed');
  if (request?.body) codes.add('unsupported_media_type').add('payload_too_large');
  if (spec.access === 'optional' || spec.access === 'user' || spec.access === 'admin' || spec.access === 'service') codes.add('unauthorized');
  if (spec.access === 'admin' || spec.access === 'service') codes.add('forbidden');
  codes.add('internal');
  return [...codes];
}

function document(registry: OpenAPIRegistry, spec: RouteSpec<AnyObject, AnyObject, z.ZodType, AnyObject>) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of errorCodesFor(spec)) {
    const status = problemCodes[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const cacheHeaders = spec.cache && {
    ETag: 'A strong entity tag of this answer; send it back in If-None-Match to revalidate',
    'Cache-Control': `${REVALIDATE}: may be stored, but revalidated before each use`,
  };
  const described = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
  const answerHeaders = { ...spec.response.headers, ...cacheHeaders };
  const responses: Record<string, unknown> = {
    [spec.response.status]: {
      description: spec.response.description,
      ...(Object.keys(answerHeaders).length > 0 && { headers: described(answerHeaders) }),
      ...(spec.response.schema && { content: { 'application/json': { schema: spec.response.schema } } }),
    },
  };
  if (cacheHeaders) {
    responses[304] = {
      description: 'Not Modified: the If-None-Match tag still matches (no body)',
      headers: described(cacheHeaders),
    };
  }
  for (const [status, codes] of byStatus) {
    responses[status] = {
      description: `Problem: ${codes.map((code) => `\`${code}\``).join(', ')}`,
      content: {
        'application/problem+json': {
          schema: problemSchema,
          // Each code shows its own answer (without examples, Swagger UI made one generic body up for every status).
          examples: Object.fromEntries(codes.map((code) => [code, { summary: problemTitles[code], value: problemExample(code) }])),
        },
      },
    };
  }
  const { params, query, body, headers } = spec.request ?? {};
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:(\w+)/g, '{$1}'),
    summary: spec.summary,
    description: spec.description,
    tags: [spec.tag],
    operationId: `${spec.method}${spec.path.replace(/[:/.-](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
    security: securityFor(spec),
    // Who may call it, finer than the security schemes say (user and admin both send a bearer token).
    'x-access': spec.access,
    ...(spec.callers && { 'x-callers': spec.callers }),
    request: {
      params,
      query,
      headers,
      body: body && { required: true, content: { 'application/json': { schema: body } } },
    },
    responses: responses as never,
  });
}

const EXAMPLE_DETAILS: Partial<Record<ProblemCode, string>> = {
  validation_failed: 'The request is not valid',
  unauthorized: 'Send an access token: Authorization: Bearer <token>',
  forbidden: 'This needs the admin role',
  not_found: 'No such resource',
  internal: 'Something went wrong on our side; the request id is in the logs',
};

/** What an answer with this code looks like (the same body the problem handler writes). */
function problemExample(code: ProblemCode) {
  const errors = code === 'validation_failed' ? [{ path: 'body.quantity', message: 'Too small: expected number to be >=1' }] : undefined;
  return problemBody(new AppError(problemCodes[code], code, problemTitles[code]!, EXAMPLE_DETAILS[code] ?? problemTitles[code], errors));
}

const serviceScheme = (caller: ServiceCaller) => `${caller}-service`;

function securityFor({ access, callers }: { access: Access; callers?: ServiceCaller[] }): Array<Record<string, string[]>> {
  if (access === 'public') return [];
  if (access === 'service') return (callers ?? []).map((caller) => ({ [serviceScheme(caller)]: [] }));
  if (access === 'optional') return [{}, { bearer: [] }];
  return [{ bearer: [] }];
}

export function openApiDocument(registry: OpenAPIRegistry, info: { title: string; description: string; tags: Record<string, string> }) {
  const document = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: info.title, version: '1.0.0', description: info.description, license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' } },
    // Relative, so Try-it-out works wherever the service is reached (localhost, compose, an ingress).
    servers: [{ url: '/', description: 'this service' }],
    tags: Object.entries(info.tags).map(([name, description]) => ({ name, description })),
  });
  // Swagger UI's Authorize dialog lists the schemes in this order and focuses the first: people's first.
  const schemes = document.components?.securitySchemes;
  if (schemes?.bearer) document.components!.securitySchemes = { bearer: schemes.bearer, ...schemes };
  return document;
}
