// docker-compose.yml read as Compose reads it, with no Compose binary: YAML with merge keys (`<<: *anchor`),
// then the Compose Specification's variable interpolation, then its JSON schema. compose-spec.json beside
// this file is schema/compose-spec.json of the compose-spec project (commit 170098b, Apache-2.0), vendored
// so that `pnpm test` needs nothing that `pnpm install` does not bring.
import Ajv from 'ajv';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | null>;
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  ports?: Array<{ published: number | string; target: number } | string>;
  command?: string[];
}
export interface ComposeModel {
  services: Record<string, ComposeService>;
}

/** A variable that must be set (`${VAR:?message}`) but is not: Compose refuses the file, and so do we. */
export class MissingVariable extends Error {}

// $$ is a literal $; ${VAR}, $VAR; ${VAR:-default} / ${VAR-default}; ${VAR:?error} / ${VAR?error}.
// The ':' forms treat an empty value as unset, as the specification says.
const VARIABLE = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

function interpolateString(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(VARIABLE, (_match, dollar, braced, colon, operator, argument, bare) => {
    if (dollar) return '$';
    const name = braced ?? bare;
    const value = env[name];
    const unset = value === undefined || (colon === ':' && value === '');
    if (operator === '-') return unset ? argument : value;
    if (operator === '?' && unset) throw new MissingVariable(`required variable ${name} is missing a value: ${argument}`);
    return value ?? '';
  });
}

function interpolate(node: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof node === 'string') return interpolateString(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolate(item, env));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolate(value, env)]));
  return node;
}

/** Compose's own order: the shell's variables win over the .env file's. */
export function loadCompose(file: string, env: NodeJS.ProcessEnv): ComposeModel {
  return interpolate(parse(fs.readFileSync(file, 'utf8'), { merge: true }), env) as ComposeModel;
}

// The schema names draft-07 by its https address, which ajv does not know by that name; the keywords are
// draft-07's, so the meta-schema check is what is left out. Not strict: the schema uses "deprecated".
const spec = JSON.parse(fs.readFileSync(path.join(__dirname, 'compose-spec.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(spec);

/** Schema errors of an interpolated model, one readable line each (empty when valid). */
export function schemaErrors(model: unknown): string[] {
  if (validate(model)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
}

/** A .env file as Compose reads the ones scripts/compose-env.mjs writes: KEY=value, or KEY="…" with \n escapes. */
export function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, key, quoted, bare] of fs.readFileSync(file, 'utf8').matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(.*))$/gm)) {
    env[key!] = quoted !== undefined ? quoted.replaceAll('\\n', '\n') : bare!;
  }
  return env;
}

export const COMPOSE_FILE = path.resolve(__dirname, '..', '..', 'docker-compose.yml');
