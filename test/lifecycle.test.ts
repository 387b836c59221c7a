// Start-up and shutdown behaviour every service shares: configuration fails fast with every problem
// listed, and SIGTERM ends the process cleanly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SERVICE_NODE_FLAGS } from '@shop/devkit';
import { startInstance } from '@shop/testkit';

const root = path.resolve(__dirname, '..');
const services = ['customers', 'inventory', 'sales', 'reviews'] as const;

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

  it('exits 0 on SIGTERM after closing its server and database', async () => {
    const instance = await startInstance(service);
    const exited = new Promise<number | null>((resolve) => instance.child.once('exit', (code) => resolve(code)));
    instance.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
