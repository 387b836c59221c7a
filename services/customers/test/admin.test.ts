import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { SERVICE_NODE_FLAGS } from '@shop/devkit';
import { admin, api, expectProblem, newCustomer, startInstance, system, unique } from '@shop/testkit';

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

  it('cannot be deleted while it is the last admin (409), and can once there is another', async () => {
    const { auth } = await admin();
    const me = system().admin.username;
    expectProblem(await api('customers').delete(`/customers/${me}`).set(auth), 409, 'conflict');
    expect((await api('customers').get(`/customers/${me}`).set(auth)).body.role).toBe('admin');

    // A second admin, created by the start-up of an instance configured with another name.
    const second = { username: unique('admin'), password: 'second-admin-password' };
    await startInstance('customers', { ADMIN_USERNAME: second.username, ADMIN_PASSWORD: second.password });
    expect((await api('customers').get(`/customers/${second.username}`).set(auth)).body.role).toBe('admin');
    expect((await api('customers').delete(`/customers/${second.username}`).set(auth)).status).toBe(204);
    expectProblem(await api('customers').delete(`/customers/${me}`).set(auth), 409, 'conflict');
  });
});
