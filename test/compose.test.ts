// docker-compose.yml is checked without a Docker engine: Debian's docker-compose (1.29) validates and
// resolves the file (`config`), then the resolved model is checked for what the shop relies on.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const SERVICES = ['customers', 'inventory', 'sales', 'reviews'];
// Placeholders for the secrets the file requires (`${VAR:?}`): nothing secret is committed.
const SECRETS = { POSTGRES_PASSWORD: 'pg-placeholder', SERVICE_TOKEN: 'token-placeholder', JWT_PRIVATE_KEY: 'key-placeholder', ADMIN_PASSWORD: 'admin-placeholder' };
const withoutSecrets = Object.fromEntries(Object.entries(process.env).filter(([key]) => !(key in SECRETS) && key !== 'LOG_LEVEL'));

// A developer's .env beside the file would fill the variables in; an empty one keeps the check hermetic.
const emptyEnvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'compose-test-')), '.env');
fs.writeFileSync(emptyEnvFile, '');
const composeArgs = (args: string[]) => ['--env-file', emptyEnvFile, '-f', 'docker-compose.yml', ...args];

function compose(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync('docker-compose', composeArgs(args), { cwd: ROOT, env, encoding: 'utf8' });
}

interface ComposeService {
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | null>;
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  ports?: Array<{ published: number | string; target: number } | string>;
  command?: string[];
}

describe('docker-compose.yml', () => {
  let resolved: { services: Record<string, ComposeService> };

  beforeAll(() => {
    const version = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
    if (version.error) throw new Error('docker-compose is not installed (apt-get install -y docker-compose; .ci/run does this)');
    resolved = parse(execFileSync('docker-compose', composeArgs(['config']), { cwd: ROOT, env: { ...withoutSecrets, ...SECRETS }, encoding: 'utf8' }));
  });

  afterAll(() => fs.rmSync(path.dirname(emptyEnvFile), { recursive: true, force: true }));

  it('is valid for docker-compose config -q', () => {
    const result = compose(['config', '-q'], { ...withoutSecrets, ...SECRETS });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses to start without the secrets instead of running with defaults', () => {
    const result = compose(['config', '-q'], withoutSecrets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/POSTGRES_PASSWORD|SERVICE_TOKEN|JWT_PRIVATE_KEY|ADMIN_PASSWORD/);
    const raw = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const name of Object.keys(SECRETS)) expect(raw).toContain(`\${${name}:?`);
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
});
