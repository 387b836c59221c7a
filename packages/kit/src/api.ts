import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { ROUTING, SERVICE_CALLERS, type Access, type AnyObject, type Context, type Result, type RouteSpec, type ServiceCaller } from './api-spec';
import { bearerToken, createTokenVerifier, isServiceToken, type TokenVerifier, type User } from './auth';
import { clientBucket } from './client-address';
import { ENDED_SESSIONS_PATH, endedSessionsFeed } from './ended-sessions';
import { jwksKeyStore } from './jwks';
import type { Logger } from './logging';
import { Forbidden, Internal, Unauthorized, ValidationFailed, type FieldError } from './errors';
import { missingIsRequired } from './messages';
import { entityTag, noneMatch, REVALIDATE, REVALIDATE_PRIVATE } from './http-cache';
import { documentRoute, problemSchema, serviceScheme } from './openapi';
import { refuseUnsafeStrings } from './strings';
import { z } from './zod';

export * from './api-spec';
export { entityTag, noneMatch } from './http-cache';
export { openApiDocument, problemSchema } from './openapi';

const empty = z.object({});

/** A query schema that refuses parameters it does not declare (a refined object keeps its refinements). */
function strictQuery(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodObject ? schema.strict() : schema;
}

/**
 * The client's address as the app's `trust proxy` setting reads it, as every per-address limit counts it: an
 * IPv6 client by its /64 (one subscriber's network: rotating addresses inside it gets no fresh bucket), an
 * IPv4-mapped IPv6 address as the IPv4 address it is.
 */
export const clientAddress = (req: Request) => clientBucket(req.ip ?? 'unknown');

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
  /** False while the verifier cannot verify yet (no keys held): /ready answers 503. */
  isReady?: () => boolean;
  /** Stops the verifier's timers. */
  close?: () => void;
}

/**
 * One place per route for its validation, access rule and OpenAPI description: the same zod schemas
 * validate the request, document it, and (outside production) check the answer.
 */
export function createApi(options: ApiOptions) {
  // Two documents: the public routes (/openapi.json, /docs) and the /internal/ ones, which only services read
  // (/internal/openapi.json): people need not learn the internal routes or the names of their credentials.
  const registry = new OpenAPIRegistry();
  const internalRegistry = new OpenAPIRegistry();
  const router = express.Router(ROUTING);
  registry.register('Problem', problemSchema);
  internalRegistry.register('Problem', problemSchema);
  // Security schemes are declared when the first route uses them: an unused one is a lint error.
  const declared = new Set<string>();
  const declareScheme = (name: string, scheme: Record<string, string>) => {
    if (declared.has(name)) return;
    declared.add(name);
    (name === 'bearer' ? registry : internalRegistry).registerComponent('securitySchemes', name, scheme as never);
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
  >(spec: RouteSpec<P, Q, B, H, A>, handler: (ctx: Context<z.output<P>, z.output<Q>, z.output<B>, z.output<H>, A>) => Promise<Result> | Result) {
    if (spec.access === 'service' && !spec.callers?.length) throw new Error(`${spec.method} ${spec.path}: a service route names its callers`);
    declareSchemes(spec);
    documentRoute(spec.access === 'service' ? internalRegistry : registry, spec);
    const { params = empty, query = empty, body, headers = empty } = spec.request ?? {};
    const strictQueryOf = strictQuery(query);
    router[spec.method](spec.path, refuseUnsafeStrings, ...(spec.middleware ?? []), async (req: Request, res: Response) => {
      // Problems and everything not declared cacheable are never stored.
      res.setHeader('Cache-Control', 'no-store');
      const user = await authenticate(spec.access, spec.callers ?? [], req);
      // An answer to a signed-in caller is theirs alone (a profile, a wallet, a history): no cache may keep it.
      // Public routes that hand out tokens or personal data set the header themselves.
      if (user) res.setHeader('Cache-Control', NO_STORE['Cache-Control']);
      const errors: FieldError[] = [];
      const parse = <T extends z.ZodType>(where: string, schema: T, value: unknown): z.output<T> => {
        const result = schema.safeParse(value, { error: missingIsRequired });
        if (result.success) return result.data;
        for (const issue of result.error.issues) {
          // An unknown parameter is named in the path (`query.page`), one error each.
          const names = where === 'query' && issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
          for (const name of names) {
            const path = [where, ...issue.path, ...(name === undefined ? [] : [name])].join('.');
            errors.push({ path, message: name === undefined ? issue.message : `is not a parameter of this route` });
          }
        }
        return undefined as z.output<T>;
      };
      // A part the route does not declare is not parsed (its schema is `empty`, which accepts anything); strings
      // no route may take (NUL, lone surrogates) were refused in every part before this (strings.ts).
      const input = {
        params: params === empty ? {} : parse('params', params, req.params),
        // Unknown query parameters are refused (v4), so `?page=2` never silently answers page 1.
        query: parse('query', strictQueryOf, req.query),
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

  /** For what only services read (the internal OpenAPI document): any service that calls us; people get 403, nobody 401. */
  const knownCallers = SERVICE_CALLERS.filter((caller) => options.callers?.[caller]?.length);
  const servicesOnly: RequestHandler = async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    await authenticate('service', knownCallers, req);
    next();
  };

  return { router, registry, internalRegistry, route, servicesOnly, isReady: options.isReady ?? (() => true), close: options.close ?? (() => {}) };
}
export type Api = ReturnType<typeof createApi>;

/**
 * The api of a service that verifies people's tokens with the keys customers publishes (every service but
 * customers), and refuses the tokens of sessions customers has ended (its feed, read from the origin of
 * JWKS_URL every second with `customersCredential`). `api.isReady()` is false until the keys are held and the
 * first read of the ended sessions has finished: the service's /ready waits for it. `callers`: the credentials its
 * /internal/ routes accept, per calling service.
 */
export function createServiceApi(
  config: { JWKS_URL: string; NODE_ENV: string },
  options: { logger: Logger; customersCredential: readonly string[]; callers?: ApiOptions['callers'] },
): Api {
  const keys = jwksKeyStore({ jwksUri: config.JWKS_URL, logger: options.logger });
  const ended = endedSessionsFeed({
    url: new URL(ENDED_SESSIONS_PATH, config.JWKS_URL).toString(),
    credential: options.customersCredential[0]!,
    logger: options.logger,
  });
  return createApi({
    verifyToken: createTokenVerifier(keys.resolve, ended.has),
    callers: options.callers,
    validateResponses: config.NODE_ENV !== 'production',
    isReady: () => keys.isReady() && ended.isReady(),
    close: () => {
      keys.stop();
      ended.stop();
    },
  });
}
