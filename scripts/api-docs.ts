// `pnpm docs:api`: writes docs/api/<service>.md, the API reference of each service, generated from the same
// OpenAPI documents the service serves at /openapi.json and /internal/openapi.json (every operation, who may call it, parameters, request
// and response fields, error codes), plus docs/api/README.md, the index.
//   pnpm docs:api             write the pages
//   pnpm docs:api --check     exit 1 naming the stale pages (the freshness test runs this)
//
// The documents come from each service's own createApp, built with stand-ins for what it would connect to
// (nothing is contacted: no database, no other service), so the pages need no running shop.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'docs/api');
const SERVICES = ['customers', 'inventory', 'sales', 'reviews'] as const;
type Service = (typeof SERVICES)[number];
const COMMAND = 'pnpm docs:api';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  description?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
  example?: unknown;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema: Schema;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  'x-access'?: string;
  'x-callers'?: string[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema; example?: unknown }> };
  responses: Record<
    string,
    { description: string; headers?: Record<string, { description?: string }>; content?: Record<string, { schema: Schema; example?: unknown }> }
  >;
}
interface Document {
  info: { title: string; description?: string };
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** Every service pair's credential while the documents are read (nothing is contacted). */
const CREDENTIAL = 'x'.repeat(32);

/** One page covers both documents: the internal one's operations, tags and schemas join the public one's. */
function withInternal(publicDoc: Document, internalDoc: Document | undefined): Document {
  if (!internalDoc || !Object.keys(internalDoc.paths).length) return publicDoc;
  const tags = [...(publicDoc.tags ?? []), ...(internalDoc.tags ?? []).filter((tag) => !publicDoc.tags?.some((t) => t.name === tag.name))];
  const schemas = { ...publicDoc.components?.schemas, ...internalDoc.components?.schemas };
  return { ...publicDoc, tags, paths: { ...publicDoc.paths, ...internalDoc.paths }, components: { ...publicDoc.components, schemas } };
}

/** A service's OpenAPI documents, as its app serves them, as one. */
async function documentOf(service: Service): Promise<Document> {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const env = {
    DATABASE_URL: 'postgresql://docs@127.0.0.1:1/docs',
    SALES_TO_CUSTOMERS_TOKEN: CREDENTIAL,
    SALES_TO_INVENTORY_TOKEN: CREDENTIAL,
    REVIEWS_TO_SALES_TOKEN: CREDENTIAL,
    INVENTORY_TO_CUSTOMERS_TOKEN: CREDENTIAL,
    REVIEWS_TO_CUSTOMERS_TOKEN: CREDENTIAL,
    JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  // Untyped imports: each service's modules have their own types, and this only needs their shape.
  const load = (module: string) => import(module) as Promise<Record<string, any>>;
  const { loadConfig } = await load(`../services/${service}/src/config`);
  const { createApp } = await load(`../services/${service}/src/app`);
  const config = loadConfig(env);
  const { createLogger } = await load('../packages/kit/src/logging');
  const deps = { config, db: {}, logger: createLogger(service, 'silent'), isReady: () => Promise.resolve(true) };
  if (service === 'customers') {
    const { createSigner } = await load('../services/customers/src/keys');
    Object.assign(deps, { signer: createSigner(config) });
  }
  const built = createApp(deps);
  const app = 'app' in built ? built.app : built;
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const read = (route: string, headers?: Record<string, string>) => fetch(`http://127.0.0.1:${port}${route}`, { headers });
    const publicDoc = (await (await read('/openapi.json')).json()) as Document;
    // The /internal/ routes are in a document of their own, for the services that call them (reviews has none).
    const internal = await read('/internal/openapi.json', { authorization: `Bearer ${CREDENTIAL}` });
    return withInternal(publicDoc, internal.status === 200 ? ((await internal.json()) as Document) : undefined);
  } finally {
    server.close();
    await built.close?.();
  }
}

const WHO: Record<string, string> = {
  public: 'anyone, no token needed',
  optional: 'anyone; a token, if sent, must be valid and identifies the caller',
  user: 'any signed-in customer or admin (bearer token)',
  admin: 'admins only (bearer token with the admin role)',
  service: "other services only, each with its own credential; a user token or another service's credential gets 403",
};

const refName = (ref: string) => ref.split('/').pop()!;
const anchor = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

/** One schema in a few words: its type, format and bounds. */
function typeOf(schema: Schema): string {
  if (schema.$ref) return `[${refName(schema.$ref)}](#${anchor(refName(schema.$ref))})`;
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) return variants.map(typeOf).join(' or ');
  if (schema.allOf) return schema.allOf.map(typeOf).join(' and ');
  let text = schema.type ?? 'any';
  if (schema.type === 'array' && schema.items) text = `array of ${typeOf(schema.items)}`;
  if (schema.format) text += ` (${schema.format})`;
  if (schema.enum) text = schema.enum.map((value) => `\`${JSON.stringify(value)}\``).join(', ');
  if (schema.nullable) text += ' or null';
  return text;
}

function constraints(schema: Schema): string[] {
  const notes: string[] = [];
  const range = (low: number | undefined, high: number | undefined, unit: string) => {
    if (low !== undefined && high !== undefined) notes.push(`${unit}${low}–${high}`);
    else if (low !== undefined) notes.push(`${unit}≥ ${low}`);
    else if (high !== undefined) notes.push(`${unit}≤ ${high}`);
  };
  const exclusiveLow = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const exclusiveHigh = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  if (exclusiveLow !== undefined) notes.push(`> ${exclusiveLow}`);
  if (exclusiveHigh !== undefined) notes.push(`< ${exclusiveHigh}`);
  range(schema.minimum, schema.maximum, '');
  range(schema.minLength, schema.maxLength, 'length ');
  range(schema.minItems, schema.maxItems, 'items ');
  if (schema.pattern) notes.push(`pattern \`${schema.pattern}\``);
  if (schema.default !== undefined) notes.push(`default \`${JSON.stringify(schema.default)}\``);
  return notes;
}

/** Rows of a field table: nested objects (and arrays of objects) get dotted names. */
function fieldRows(schema: Schema, prefix = ''): string[] {
  const rows: string[] = [];
  const parts = schema.allOf ?? [schema];
  for (const part of parts) {
    for (const [name, field] of Object.entries(part.properties ?? {})) {
      const required = part.required?.includes(name) ? 'yes' : '';
      const notes = [field.description, ...constraints(field)].filter(Boolean).join('; ');
      rows.push(`| \`${prefix}${name}\` | ${cell(typeOf(field))} | ${required} | ${cell(notes)} |`);
      if (field.properties) rows.push(...fieldRows(field, `${prefix}${name}.`));
      if (field.items?.properties) rows.push(...fieldRows(field.items, `${prefix}${name}[].`));
    }
  }
  return rows;
}

function schemaBlock(schema: Schema): string[] {
  const direct = schema.type === 'array' && schema.items ? schema.items : schema;
  if (schema.$ref || !(direct.properties || direct.allOf))
    return [`${schema.type === 'array' ? 'An array of ' : ''}${typeOf(schema.$ref ? schema : direct)}`, ''];
  const intro = schema.type === 'array' ? ['An array of objects:', ''] : [];
  return [...intro, '| field | type | required | notes |', '|---|---|---|---|', ...fieldRows(direct), ''];
}

function operationPage(method: string, route: string, op: Operation): string[] {
  const lines = [`### ${method.toUpperCase()} ${route}`, ''];
  if (op.summary) lines.push(`**${op.summary}**`, '');
  const callers = op['x-callers'] ? ` Accepted callers: ${op['x-callers'].join(', ')}.` : '';
  lines.push(`Who may call it: ${WHO[op['x-access'] ?? 'public'] ?? op['x-access']}.${callers}`, '');
  if (op.description) lines.push(op.description, '');
  if (op.parameters?.length) {
    lines.push('Parameters:', '', '| name | in | type | required | notes |', '|---|---|---|---|---|');
    for (const p of op.parameters) {
      const notes = [p.description ?? p.schema.description, ...constraints(p.schema)].filter(Boolean).join('; ');
      lines.push(`| \`${p.name}\` | ${p.in} | ${cell(typeOf(p.schema))} | ${p.required ? 'yes' : ''} | ${cell(notes)} |`);
    }
    lines.push('');
  }
  const body = op.requestBody?.content['application/json'];
  if (body) {
    lines.push('Request body (`application/json`):', '', ...schemaBlock(body.schema));
    if (body.example !== undefined) lines.push('Example:', '', '```json', JSON.stringify(body.example, null, 2), '```', '');
  }
  const statuses = Object.keys(op.responses).sort();
  const success = statuses.filter((status) => Number(status) < 400);
  for (const status of success) {
    const response = op.responses[status]!;
    lines.push(`Answer **${status}**: ${response.description}`, '');
    for (const [name, header] of Object.entries(response.headers ?? {})) lines.push(`- header \`${name}\`: ${header.description ?? ''}`);
    if (response.headers) lines.push('');
    const media = response.content?.['application/json'];
    if (media) lines.push(...schemaBlock(media.schema));
  }
  const errors = statuses.filter((status) => Number(status) >= 400);
  if (errors.length) {
    lines.push('Errors (`application/problem+json`, see [Problem](#problem)):', '', '| status | codes |', '|---|---|');
    for (const status of errors) lines.push(`| ${status} | ${cell(op.responses[status]!.description.replace(/^Problem: /, ''))} |`);
    lines.push('');
  }
  return lines;
}

function page(service: Service, doc: Document): string {
  const operations = Object.entries(doc.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, op]) => ({ route, method, op })));
  const tags = [...new Set(operations.map(({ op }) => op.tags?.[0] ?? 'other'))];
  const lines = [
    `<!-- Generated by \`${COMMAND}\` from the ${service} service's OpenAPI document: do not edit by hand. -->`,
    `# ${doc.info.title}`,
    '',
    doc.info.description ?? '',
    '',
    'The running service serves the public routes at `/openapi.json` (an interactive version at `/docs`) and its `/internal/` routes, ' +
      'for the services that call them (their credential as a bearer token), at `/internal/openapi.json`. ' +
      'Bodies are JSON; a bearer token goes in `Authorization: Bearer <token>` (from customers `POST /auth/login`). ' +
      'Every error is `application/problem+json` with a stable `code`.',
    '',
    '## Operations',
    '',
    '| operation | summary | who may call it |',
    '|---|---|---|',
    ...operations.map(({ route, method, op }) => {
      const title = `${method.toUpperCase()} ${route}`;
      return `| [\`${title}\`](#${anchor(title)}) | ${cell(op.summary ?? '')} | ${op['x-access'] ?? 'public'} |`;
    }),
    '',
  ];
  for (const tag of tags) {
    const described = doc.tags?.find((t) => t.name === tag)?.description;
    lines.push(`## ${tag}`, '', ...(described ? [described, ''] : []));
    for (const { route, method, op } of operations.filter(({ op }) => (op.tags?.[0] ?? 'other') === tag)) lines.push(...operationPage(method, route, op));
  }
  lines.push('## Schemas', '');
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    lines.push(`### ${name}`, '', ...(schema.description ? [schema.description, ''] : []), ...schemaBlock(schema));
    if (schema.example !== undefined) lines.push('Example:', '', '```json', JSON.stringify(schema.example, null, 2), '```', '');
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function index(docs: Record<Service, Document>): string {
  return [
    `<!-- Generated by \`${COMMAND}\`: do not edit by hand. -->`,
    '# API reference',
    '',
    "One page per service, generated from the service's OpenAPI documents: the public one it serves at `/openapi.json` " +
      '(`/docs` shows it in Swagger UI) and, for the routes under `/internal/`, the one it serves to the services that call it at ' +
      '`/internal/openapi.json`. Regenerate with `pnpm docs:api` after changing a route; a test fails while a page is stale.',
    '',
    '| service | default port | what it does |',
    '|---|---|---|',
    ...SERVICES.map((service, i) => `| [${service}](${service}.md) | ${5000 + i} | ${cell(docs[service].info.description ?? '')} |`),
    '',
  ].join('\n');
}

async function main() {
  const docs = {} as Record<Service, Document>;
  for (const service of SERVICES) docs[service] = await documentOf(service);
  const pages = new Map<string, string>([['README.md', index(docs)], ...SERVICES.map((s): [string, string] => [`${s}.md`, page(s, docs[s])])]);
  if (process.argv.includes('--check')) {
    const stale = [...pages].filter(([file, text]) => !fs.existsSync(path.join(OUT, file)) || fs.readFileSync(path.join(OUT, file), 'utf8') !== text);
    if (stale.length) {
      console.error(`docs/api is stale (${stale.map(([file]) => file).join(', ')}): run \`${COMMAND}\` and commit the result`);
      process.exit(1);
    }
    return;
  }
  fs.mkdirSync(OUT, { recursive: true });
  for (const [file, text] of pages) fs.writeFileSync(path.join(OUT, file), text);
  console.log(`wrote ${[...pages.keys()].map((file) => `docs/api/${file}`).join(', ')}`);
}

main().then(
  () => process.exit(),
  (error: Error) => {
    console.error(error.stack ?? error);
    process.exit(1);
  },
);
