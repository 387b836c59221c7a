import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { SERVICE_NODE_FLAGS } from '@shop/devkit';
import { admin, api, expectProblem, newCustomer, startInstance, startIsolated, system, unique } from '@shop/testkit';

describe('the admin account', () => {
  it('is never made of an existing customer account: start-up refuses with a clear message', async () => {
    const c = await newCustomer();
    const server = path.resolve(__dirname, '../src/server.ts');
    const run = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, server], {
      cwd: path.dirname(server),
      env: { ...process.env, ...system().env.customers, PORT: '0', ADMIN_USERNAME: c.username, ADMIN_PASSWORD: 'attackers-own-password' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`ADMIN_USERNAME "${c.username}" is an existing customer account`);
    const stored = await api('customers')
      .get(`/customers/${c.username}`)
      .set((await admin()).auth);
    expect(stored.body.role).toBe('customer');
  });

  // "The last admin" is a fact about the whole database, and other test files create admins of their own in the
  // shared one: on it, the main admin could be deleted while one of theirs exists. So: a customers of its own.
  it('cannot be deleted while it is the last admin (409), and can once there is another', async () => {
    const { instances, databaseUrl } = await startIsolated('customers', 1);
    const own = instances[0]!.url;
    const me = system().admin.username;
    const logIn = async (account: { username: string; password: string }) => {
      const res = await api(own).post('/auth/login').send(account).expect(200);
      return { Authorization: `Bearer ${res.body.accessToken as string}` };
    };
    const auth = await logIn(system().admin);
    expectProblem(await api(own).delete(`/customers/${me}`).set(auth), 409, 'conflict');
    expect((await api(own).get(`/customers/${me}`).set(auth)).body.role).toBe('admin');

    // A second admin, created by the start-up of an instance configured with another name.
    const second = { username: unique('admin'), password: 'second-admin-password' };
    await startInstance('customers', { DATABASE_URL: databaseUrl, ADMIN_USERNAME: second.username, ADMIN_PASSWORD: second.password });
    expect((await api(own).get(`/customers/${second.username}`).set(auth)).body.role).toBe('admin');
    expect((await api(own).delete(`/customers/${second.username}`).set(auth)).status).toBe(204);
    expectProblem(await api(own).delete(`/customers/${me}`).set(auth), 409, 'conflict');
    // With another admin, the first may go: the rule is about the last one only.
    const third = { username: unique('admin'), password: 'third-admin-password' };
    await startInstance('customers', { DATABASE_URL: databaseUrl, ADMIN_USERNAME: third.username, ADMIN_PASSWORD: third.password });
    expect((await api(own).delete(`/customers/${me}`).set(auth)).status).toBe(204);
    expectProblem(
      await api(own)
        .delete(`/customers/${third.username}`)
        .set(await logIn(third)),
      409,
      'conflict',
    );
  });
});
