// In development, the login and registration 429s say how to clear the limits, and `pnpm reset --limits` clears
// them (docs/development.md); anywhere else the answer says nothing of it. Instances on a database of their own,
// so clearing every counter touches no other test's.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { api, customerBody, expectProblem, newCustomer, startInstance, startIsolated } from '@shop/testkit';

const ROOT = path.resolve(__dirname, '../../..');
const LIMITS = { TRUST_PROXY_HOPS: '1', LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '1', REGISTRATIONS_PER_HOUR: '1' };
const from = '2001:db8:4444:1::1';
const login = (base: string, username: string, password: string) => api(base).post('/auth/login').set('X-Forwarded-For', from).send({ username, password });
const register = (base: string, body = customerBody()) => api(base).post('/customers').set('X-Forwarded-For', from).send(body);

describe('login and registration limits in development', () => {
  it('say how to clear them, and `pnpm reset --limits` does', async () => {
    const { instances, databaseUrl } = await startIsolated('customers', 1, { ...LIMITS, NODE_ENV: 'development' });
    const base = instances[0]!.url;
    const body = customerBody();
    expect((await register(base, body)).status).toBe(201);
    const refusedRegistration = await register(base);
    expectProblem(refusedRegistration, 429, 'rate_limited');
    expect(refusedRegistration.body.detail).toContain('`pnpm reset --limits`');

    expect((await login(base, body.username, 'wrong-password')).status).toBe(401);
    const locked = await login(base, body.username, body.password);
    expectProblem(locked, 429, 'rate_limited');
    expect(locked.body.detail).toContain('`pnpm reset --limits`');

    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reset.ts', '--limits'], {
      cwd: ROOT,
      env: { ...process.env, CUSTOMERS_DATABASE_URL: databaseUrl },
      encoding: 'utf8',
    });
    expect(stdout).toMatch(/cleared the login and registration limits/);
    expect((await login(base, body.username, body.password)).status).toBe(200);
    expect((await register(base)).status).toBe(201);
  }, 120_000);

  it('outside development the 429 says nothing of it (production limits unchanged)', async () => {
    const instance = await startInstance('customers', { ...LIMITS, NODE_ENV: 'test' });
    const c = await newCustomer();
    expect((await login(instance.url, c.username, 'wrong-password')).status).toBe(401);
    const locked = await login(instance.url, c.username, c.password);
    expectProblem(locked, 429, 'rate_limited');
    expect(locked.body.detail).not.toMatch(/reset/);
  }, 120_000);
});
