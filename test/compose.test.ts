// docker-compose.yml is checked without a Docker engine and without a Compose binary: the file is
// interpolated as Compose does and validated against the Compose Specification's JSON schema, then checked
// for what the shop relies on. Where a docker-compose binary is installed (.ci/run installs one), it must
// accept and resolve the file the same way; where it is not, that one test is reported as skipped by name.
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICE_CREDENTIALS, type ServiceCredential } from '@shop/devkit';
import { parse } from 'yaml';
import { COMPOSE_FILE, type ComposeModel, loadCompose, MissingVariable, readEnvFile, schemaErrors } from './support/compose';

const ROOT = path.dirname(COMPOSE_FILE);
const SERVICES = ['customers', 'inventory', 'sales', 'reviews'];
// Placeholders for the secrets the file requires (`${VAR:?}`): nothing secret is committed.
const CREDENTIALS = Object.keys(SERVICE_CREDENTIALS) as ServiceCredential[];
const DB_PASSWORDS = SERVICES.map((name) => `${name.toUpperCase()}_DB_PASSWORD`);
const SECRETS: Record<string, string> = {
  POSTGRES_PASSWORD: 'pg-placeholder',
  JWT_PRIVATE_KEY: 'key-placeholder',
  ADMIN_PASSWORD: 'admin-placeholder',
  METRICS_TOKEN: 'metrics-token-placeholder',
  GRAFANA_ADMIN_PASSWORD: 'grafana-admin-placeholder',
  ...Object.fromEntries(CREDENTIALS.map((name) => [name, `${name.toLowerCase()}-placeholder`])),
  ...Object.fromEntries(DB_PASSWORDS.map((name) => [name, `${name.toLowerCase()}-placeholder`])),
};
// Nor the optional ones a developer's shell may set (the published ports, the log level).
const withoutSecrets = Object.fromEntries(Object.entries(process.env).filter(([key]) => !(key in SECRETS) && key !== 'LOG_LEVEL' && !key.endsWith('_PORT')));

const hasDockerCompose = !spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).error;

// A developer's .env beside the file would fill the variables in; an empty one keeps the check hermetic.
const emptyEnvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'compose-test-')), '.env');
fs.writeFileSync(emptyEnvFile, '');
function dockerCompose(args: string[], env: NodeJS.ProcessEnv, envFile = emptyEnvFile) {
  return spawnSync('docker-compose', ['--env-file', envFile, '-f', COMPOSE_FILE, ...args], { cwd: ROOT, env, encoding: 'utf8' });
}
afterAll(() => fs.rmSync(path.dirname(emptyEnvFile), { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  const resolved: ComposeModel = loadCompose(COMPOSE_FILE, { ...withoutSecrets, ...SECRETS });

  it('is valid against the Compose Specification schema', () => {
    expect(schemaErrors(resolved)).toEqual([]);
  });

  it('fails the schema check when the file is wrong (the check is live)', () => {
    const broken = structuredClone(resolved) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.customers!.depends_on = { 'migrate-customers': { condition: 'service_finished' } };
    broken.services.sales!.helthcheck = {};
    const errors = schemaErrors(broken);
    expect(errors).toContainEqual(expect.stringMatching(/^\/services\/customers\/depends_on\/migrate-customers\/condition must be equal to one of/));
    expect(errors).toContainEqual(expect.stringMatching(/^\/services\/sales must NOT have additional properties.*helthcheck/));
  });

  it('refuses to start without the secrets instead of running with defaults', () => {
    for (const name of Object.keys(SECRETS)) {
      const env = { ...withoutSecrets, ...SECRETS, [name]: '' };
      expect(() => loadCompose(COMPOSE_FILE, env)).toThrow(new RegExp(`variable ${name} is missing`));
    }
    expect(() => loadCompose(COMPOSE_FILE, withoutSecrets)).toThrow(MissingVariable);
    const raw = fs.readFileSync(COMPOSE_FILE, 'utf8');
    for (const name of Object.keys(SECRETS)) expect(raw).toContain(`\${${name}:?`);
  });

  it.each(SERVICES)('gives %s only the credentials of the service pairs it is an end of, and no other secret', (name) => {
    const environment = resolved.services[name]!.environment ?? {};
    const held = CREDENTIALS.filter((credential) => credential in environment);
    const ends = CREDENTIALS.filter((credential) => [SERVICE_CREDENTIALS[credential].from, SERVICE_CREDENTIALS[credential].to].includes(name as never));
    expect(held).toEqual(ends);
    for (const credential of held) expect(environment[credential]).toBe(SECRETS[credential]);
    expect(Object.values(environment)).not.toContain(SECRETS.POSTGRES_PASSWORD);
  });

  it.each(SERVICES)('connects %s (and its migration) as its own database role, which the init script makes owner of its database only', (name) => {
    const role = `postgresql://${name}:${SECRETS[`${name.toUpperCase()}_DB_PASSWORD`]}@postgres:5432/${name}`;
    expect(resolved.services[name]!.environment?.DATABASE_URL).toBe(role);
    expect(resolved.services[`migrate-${name}`]!.environment?.DATABASE_URL).toBe(role);
    expect(resolved.services.postgres!.environment?.[`${name.toUpperCase()}_DB_PASSWORD`]).toBe(SECRETS[`${name.toUpperCase()}_DB_PASSWORD`]);
    const init = fs.readFileSync(path.join(ROOT, 'docker', 'postgres-init.sh'), 'utf8');
    expect(init).toContain(`for db in ${SERVICES.join(' ')}`);
    expect(init).toMatch(/CREATE DATABASE :"role" OWNER :"role";\s*REVOKE ALL ON DATABASE :"role" FROM PUBLIC;/);
  });

  it('never points one container at localhost: services find each other by name', () => {
    for (const [name, service] of Object.entries(resolved.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        expect({ service: name, key, value }).toEqual({ service: name, key, value: expect.not.stringMatching(/localhost|127\.0\.0\.1|::1/) });
      }
    }
    expect(resolved.services.sales!.environment).toMatchObject({ CUSTOMERS_URL: 'http://customers:5000', INVENTORY_URL: 'http://inventory:5001' });
  });

  it.each(SERVICES)('runs %s after its migration, with a /ready healthcheck, listening on all interfaces', (name) => {
    const service = resolved.services[name]!;
    expect(service.depends_on?.[`migrate-${name}`]).toEqual({ condition: 'service_completed_successfully' });
    expect(JSON.stringify(service.healthcheck?.test)).toContain('/ready');
    // podman's Docker API re-splits a CMD healthcheck's arguments at spaces (pnpm test:compose found it).
    expect(service.healthcheck?.test).toEqual(['CMD', ...(service.healthcheck!.test as string[]).slice(1).map(() => expect.not.stringMatching(/\s/))]);
    expect(service.environment).toMatchObject({ HOST: '0.0.0.0', DATABASE_URL: expect.stringContaining(`@postgres:5432/${name}`) });
    const port = String(5000 + SERVICES.indexOf(name));
    expect(service.environment?.PORT).toBe(port);
    expect(service.ports?.map((p) => (typeof p === 'string' ? p : `${p.published}:${p.target}`))).toContain(`${port}:${port}`);

    const migrate = resolved.services[`migrate-${name}`]!;
    expect(migrate.command).toEqual(expect.arrayContaining(['scripts/migrate.ts', name]));
    expect(migrate.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('builds only from paths that exist', () => {
    for (const [name, service] of Object.entries(resolved.services)) {
      if (!service.build) continue;
      const context = path.resolve(ROOT, service.build.context);
      expect({ name, context: fs.existsSync(context) }).toEqual({ name, context: true });
      const dockerfile = path.resolve(context, service.build.dockerfile ?? 'Dockerfile');
      expect({ name, dockerfile: fs.existsSync(dockerfile) }).toEqual({ name, dockerfile: true });
      const built = service.build.args?.SERVICE;
      if (built) expect(fs.existsSync(path.join(ROOT, 'services', built, 'src', 'server.ts'))).toBe(true);
    }
  });

  (hasDockerCompose ? it : it.skip)(
    `is accepted and resolved the same way by docker-compose config (${hasDockerCompose ? 'installed' : 'not installed: skipped'})`,
    () => {
      const valid = dockerCompose(['config', '-q'], { ...withoutSecrets, ...SECRETS });
      expect(valid.stderr).toBe('');
      expect(valid.status).toBe(0);
      const refused = dockerCompose(['config', '-q'], withoutSecrets);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(new RegExp(Object.keys(SECRETS).join('|')));

      const theirs: ComposeModel = parse(dockerCompose(['config'], { ...withoutSecrets, ...SECRETS }).stdout);
      expect(Object.keys(theirs.services).sort()).toEqual(Object.keys(resolved.services).sort());
      for (const [name, service] of Object.entries(theirs.services)) {
        expect({ name, environment: service.environment }).toEqual({ name, environment: resolved.services[name]!.environment });
      }
    },
  );
});

describe('pnpm compose:env (scripts/compose-env.mjs)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-env-'));
  const envFile = path.join(dir, '.env');
  const generate = () => execFileSync(process.execPath, ['scripts/compose-env.mjs', '--dir', dir], { cwd: ROOT, encoding: 'utf8' });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The variables come from the file itself, so credentials added to it later are generated too.
  const required = [...fs.readFileSync(COMPOSE_FILE, 'utf8').matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]!);

  it('writes a fresh secret for every variable the compose file requires, and the file then resolves and validates', () => {
    generate();
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
    const env = readEnvFile(envFile);
    expect(Object.keys(env).sort()).toEqual([...new Set(required)].sort());
    for (const [name, value] of Object.entries(env)) {
      if (name.endsWith('_PRIVATE_KEY')) expect(createPrivateKey(value).asymmetricKeyType).toBe('rsa');
      else expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    const model = loadCompose(COMPOSE_FILE, { ...withoutSecrets, ...env });
    expect(schemaErrors(model)).toEqual([]);
    expect(model.services.customers!.environment).toMatchObject({ JWT_PRIVATE_KEY: env.JWT_PRIVATE_KEY, ADMIN_PASSWORD: env.ADMIN_PASSWORD });
  });

  it('is fresh on every machine: two generations share no value', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-env-'));
    try {
      execFileSync(process.execPath, ['scripts/compose-env.mjs', '--dir', other], { cwd: ROOT });
      const first = Object.values(readEnvFile(envFile));
      for (const value of Object.values(readEnvFile(path.join(other, '.env')))) expect(first).not.toContain(value);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('keeps the values already there (the database volume holds the old password) and adds only missing ones', () => {
    const before = readEnvFile(envFile);
    fs.writeFileSync(envFile, fs.readFileSync(envFile, 'utf8').replace(/^SALES_TO_CUSTOMERS_TOKEN=.*\n/m, ''));
    expect(generate()).toMatch(/generated SALES_TO_CUSTOMERS_TOKEN;/);
    const after = readEnvFile(envFile);
    expect({ ...after, SALES_TO_CUSTOMERS_TOKEN: before.SALES_TO_CUSTOMERS_TOKEN }).toEqual(before);
    expect(after.SALES_TO_CUSTOMERS_TOKEN).not.toBe(before.SALES_TO_CUSTOMERS_TOKEN);
    expect(generate()).toMatch(/nothing changed/);
  });

  it('writes a file git ignores, and nothing in the repository holds a default', () => {
    expect(execFileSync('git', ['check-ignore', '.env'], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe('.env');
    expect(() => loadCompose(COMPOSE_FILE, withoutSecrets)).toThrow(MissingVariable);
  });

  (hasDockerCompose ? it : it.skip)(`is read by docker-compose itself, the PEM intact (${hasDockerCompose ? 'installed' : 'not installed: skipped'})`, () => {
    const result = dockerCompose(['config'], withoutSecrets, envFile);
    expect(result.stderr).toBe('');
    const theirs: ComposeModel = parse(result.stdout);
    expect(theirs.services.customers!.environment?.JWT_PRIVATE_KEY).toBe(readEnvFile(envFile).JWT_PRIVATE_KEY);
  });
});
