// OpenAPI quality: each running service's /openapi.json (and /internal/openapi.json) passes `@redocly/cli lint` with the recommended
// rules, and every operation that takes a body shows an example of one — an example that its own schema
// accepts (a wrong example misleads every reader and every generated client).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { system } from '@shop/testkit';
import { runningServices, type Service } from './support/contract';
import { deref, fetchDocument, internalReader, operations, schemaErrors, type OpenApiDoc, type Schema } from './support/openapi';

const CLI = require.resolve('@redocly/cli/bin/cli.js');
// Our settings (rules we turn off, with why) live there; today it only extends `recommended`.
const CONFIG = path.join(__dirname, 'support', 'redocly.yaml');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer: string }>;
}

async function lint(document: unknown): Promise<LintProblem[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-lint-'));
  const file = path.join(dir, 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(document, null, 2));
  try {
    // Exits 1 when there are errors; the JSON report is on stdout either way.
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'lint', file, '--format=json', `--config=${CONFIG}`], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 10 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { problems: LintProblem[] }).problems;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The example a reader sees for a body: the media type's, the schema's, or one assembled from the properties' examples. */
function bodyExample(media: { example?: unknown; examples?: Record<string, { value: unknown }>; schema: Schema }): unknown {
  if (media.example !== undefined) return media.example;
  if (media.examples) return Object.values(media.examples)[0]?.value;
  const schema = media.schema;
  if (schema.example !== undefined) return schema.example;
  if (!schema.properties) return undefined;
  const parts = Object.entries(schema.properties).filter(([, s]) => s.example !== undefined);
  if ((schema.required ?? []).some((name) => !parts.some(([key]) => key === name))) return undefined;
  return Object.fromEntries(parts.map(([key, s]) => [key, s.example]));
}

/** The public document and, for a service that others call, the internal one (/internal/openapi.json). */
async function documentsOf(service: Service): Promise<Array<[string, OpenApiDoc]>> {
  const reader = internalReader(service);
  const base = system().urls[service];
  return [
    ['/openapi.json', await fetchDocument(base)],
    ...(reader ? [['/internal/openapi.json', await fetchDocument(base, reader)] as [string, OpenApiDoc]] : []),
  ];
}

describe.each(runningServices())('%s OpenAPI documents', (service) => {
  it('pass redocly lint (recommended rules) without errors, the public and the internal one', async () => {
    const errors: string[] = [];
    for (const [name, document] of await documentsOf(service)) {
      const problems = await lint(document);
      const show = (p: LintProblem) => `${name}: ${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`;
      const warnings = problems.filter((p) => p.severity !== 'error');
      if (warnings.length) console.warn(`${service} lint warnings:\n  ${warnings.map(show).join('\n  ')}`);
      errors.push(...problems.filter((p) => p.severity === 'error').map(show));
    }
    expect(errors).toEqual([]);
  }, 120_000);

  it('shows a valid example for every request body', async () => {
    const problems: string[] = [];
    for (const [, doc] of await documentsOf(service)) {
      for (const op of operations(doc)) {
        const raw = doc.paths[op.path]?.[op.method]?.requestBody?.content?.['application/json'];
        if (!raw) continue;
        const media = deref(doc, raw) as { example?: unknown; schema: Schema };
        const example = bodyExample(media);
        const where = `${op.method.toUpperCase()} ${op.path}`;
        if (example === undefined) problems.push(`${where}: no request body example`);
        else problems.push(...schemaErrors(media.schema, example).map((e) => `${where}: example ${JSON.stringify(example)} breaks its schema: ${e}`));
      }
    }
    expect(problems).toEqual([]);
  });
});
