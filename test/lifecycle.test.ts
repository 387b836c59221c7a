// Start-up and shutdown behaviour every service shares: configuration fails fast with every problem
// listed (development settings too, in production), and SIGTERM ends the process cleanly.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { SERVICE_CREDENTIALS, SERVICE_NODE_FLAGS } from '@shop/devkit';
import { startInstance } from '@shop/testkit';
import { DEVELOPMENT_ADMIN_PASSWORD } from '../services/customers/src/development';

const root = path.resolve(__dirname, '..');
const services = ['customers', 'inventory', 'sales', 'reviews'] as const;

/** What production needs, valid for every service (nothing is contacted: configuration fails first). */
const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://shop@127.0.0.1:1/shop',
  ADMIN_PASSWORD: 'a-production-admin-password',
  JWT_PRIVATE_KEY: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  // Every service-pair credential, so the development settings are the only problems left.
  ...Object.fromEntries(Object.keys(SERVICE_CREDENTIALS).map((name, i) => [name, `${i}`.repeat(40)])),
};
/** What `pnpm start` and the tests run with, and production refuses. */
const DEVELOPMENT_SETTINGS = { ADMIN_PASSWORD: DEVELOPMENT_ADMIN_PASSWORD, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', BCRYPT_ROUNDS: '4', LOG_LEVEL: 'trace' };

describe.each(services)('%s', (service) => {
  // Not spawnSync with a 30 s kill: on a machine loaded by other work a start took longer than that just to load
  // its code, and the kill (status null) failed the test. Asynchronous, so jest's own test timeout bounds it.
  it('refuses to start with bad configuration and lists every problem', async () => {
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, path.join(root, 'services', service, 'src', 'server.ts')], {
      cwd: path.join(root, 'services', service),
      env: { PATH: process.env.PATH, DATABASE_URL: 'mysql://nope', PORT: 'eighty', REVIEWS_TO_SALES_TOKEN: 'short' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(status).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    // Every service holds at least one credential of a service pair, and each is required.
    for (const key of ['DATABASE_URL', 'PORT', '_TO_']) expect(stderr).toContain(key);
  }, 120_000);

  // Issue 22 item 14: development settings that production must never run with, each refused with its own line,
  // all listed at once. Otherwise valid production settings (but the port), so these are the only problems.
  it('refuses to start in production with development settings, one clear line each', async () => {
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, path.join(root, 'services', service, 'src', 'server.ts')], {
      cwd: path.join(root, 'services', service),
      // And a port that is not a number: listed with them, not first alone.
      env: { PATH: process.env.PATH, ...PRODUCTION_ENV, ...DEVELOPMENT_SETTINGS, PORT: 'eighty' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(status).toBe(1);
    const problems = stderr.split('\n').filter((line) => line.startsWith('  - '));
    const expected = [
      expect.stringMatching(/^ {2}- PORT: /),
      expect.stringMatching(/^ {2}- LOG_LEVEL: trace is refused.*\(NODE_ENV=production\)$/),
      expect.stringMatching(/^ {2}- WEBHOOK_ALLOW_PRIVATE_TARGETS: must not be true in production.*\(NODE_ENV=production\)$/),
      ...(service === 'customers'
        ? [
            expect.stringMatching(/^ {2}- ADMIN_PASSWORD: is the development default.*\(NODE_ENV=production\)$/),
            expect.stringMatching(/^ {2}- BCRYPT_ROUNDS: must be at least 10.*\(NODE_ENV=production\)$/),
          ]
        : []),
    ];
    expect(problems).toEqual(expect.arrayContaining(expected));
    expect(problems).toHaveLength(expected.length);
  }, 120_000);

  it('exits 0 on SIGTERM after closing its server and database', async () => {
    const instance = await startInstance(service);
    const exited = new Promise<number | null>((resolve) => instance.child.once('exit', (code) => resolve(code)));
    instance.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

// Issue 25 item 3: what a load balancer sees of a replica being stopped. For SHUTDOWN_DELAY_MS after SIGTERM the
// service still accepts, but /ready answers 503 at once, and every answer closes its connection (a pooled
// keep-alive connection is not reused for a request the replica would then cut); after it, the service stops
// accepting, finishes, and exits 0.
describe('SIGTERM behind a load balancer', () => {
  it('answers /ready 503 at once with Connection: close, keeps accepting during SHUTDOWN_DELAY_MS, then exits 0', async () => {
    const instance = await startInstance('inventory', { SHUTDOWN_DELAY_MS: '15000' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string, options: { agent?: http.Agent } = {}) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        http
          .get(`${instance.url}${path}`, { agent: options.agent ?? false }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
          })
          .on('error', reject);
      });
    expect(await get('/ready', { agent })).toEqual({ status: 200, connection: 'keep-alive' });
    const exited = new Promise<number | null>((resolve) => instance.child.once('exit', (code) => resolve(code)));
    instance.child.kill('SIGTERM');
    // The next answer on the pooled connection is the draining one (the signal is handled between two requests).
    let drained: { status: number; connection: string | undefined } | undefined;
    while (!drained || drained.status === 200) drained = await get('/ready', { agent });
    expect(drained).toEqual({ status: 503, connection: 'close' });
    // A new connection is still accepted and served, and told to close.
    expect(await get('/health')).toEqual({ status: 200, connection: 'close' });
    agent.destroy();
    expect(await exited).toBe(0);
  }, 120_000);
});
