import { OpenApiGeneratorV3, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Access, AnyObject, RouteSpec, ServiceCaller } from './api-spec';
import { AppError, problemCodes, problemTitles, type ProblemCode } from './errors';
import { REVALIDATE } from './http-cache';
import { problemBody } from './problem';
import { z } from './zod';

// The OpenAPI document: each route described from its RouteSpec (answers, problems with examples, security).

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(problemCodes) as [ProblemCode, ...ProblemCode[]]),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .optional()
      .openapi({ description: 'With tracing on: the W3C trace id of this request, to quote when reporting it' }),
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

export function documentRoute(registry: OpenAPIRegistry, spec: RouteSpec<AnyObject, AnyObject, z.ZodType, AnyObject>) {
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

export const serviceScheme = (caller: ServiceCaller) => `${caller}-service`;

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
  // Each document lists the tags its operations use (the public one has no `Internal`, the internal one only it).
  const used = new Set(
    Object.values(document.paths ?? {}).flatMap((methods) => Object.values(methods as Record<string, { tags?: string[] }>).flatMap((op) => op.tags ?? [])),
  );
  document.tags = document.tags?.filter((tag) => used.has(tag.name));
  // Swagger UI's Authorize dialog lists the schemes in this order and focuses the first: people's first.
  const schemes = document.components?.securitySchemes;
  if (schemes?.bearer) document.components!.securitySchemes = { bearer: schemes.bearer, ...schemes };
  return document;
}
