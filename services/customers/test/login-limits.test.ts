import crypto from 'node:crypto';
import { api, customerBody, expectProblem, newCustomer, startInstance, type TestCustomer } from '@shop/testkit';
import type { ServiceProcess } from '@shop/devkit';

// The run's customers sees every test as 127.0.0.1 and has its per-address limits out of reach (see the
// test system). Limits per address are tested here on instances behind a pretend proxy: TRUST_PROXY_HOPS=1
// makes X-Forwarded-For the client address, so each test can play as many addresses as it needs.
/** A client address of its own for each test (IPv6 documentation prefix). */
const address = () =>
  `2001:db8::${crypto
    .randomBytes(4)
    .toString('hex')
    .replace(/(.{4})(.{4})/, '$1:$2')}`;

const attempt = (base: string, username: string, password: string, from?: string) => {
  const req = api(base).post('/auth/login');
  if (from) req.set('X-Forwarded-For', from);
  return req.send({ username, password });
};

let proxied: ServiceProcess;
beforeAll(async () => {
  proxied = await startInstance('customers', { TRUST_PROXY_HOPS: '1', LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '5', LOGIN_FAILURES_PER_ADDRESS: '50' });
});

describe('failed-login limits', () => {
  it('counts guesses before checking them: 8 at once against a limit of 5 reach bcrypt 5 times', async () => {
    const c = await newCustomer();
    const from = address();
    const answers = await Promise.all(Array.from({ length: 8 }, () => attempt(proxied.url, c.username, 'wrong-password', from)));
    expect(answers.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const blocked = await attempt(proxied.url, c.username, c.password, from);
    expectProblem(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('does not lock the rightful owner out: a flood against the username from one address leaves other addresses alone', async () => {
    const c = await newCustomer();
    const attacker = address();
    for (let i = 0; i < 12; i++) await attempt(proxied.url, c.username, 'wrong-password', attacker);
    expectProblem(await attempt(proxied.url, c.username, c.password, attacker), 429, 'rate_limited');
    expect((await attempt(proxied.url, c.username, c.password, address())).status).toBe(200);
  });

  it('does not block other usernames from the same address', async () => {
    const [victim, other] = await Promise.all([newCustomer(), newCustomer()]);
    const from = address();
    for (let i = 0; i < 6; i++) await attempt(proxied.url, victim.username, 'wrong-password', from);
    expect((await attempt(proxied.url, other.username, other.password, from)).status).toBe(200);
  });

  it('gives a successful login its count back: more logins than the limit, one after another, all succeed', async () => {
    const c = await newCustomer();
    const from = address();
    for (let i = 0; i < 8; i++) expect((await attempt(proxied.url, c.username, c.password, from)).status).toBe(200);
    for (let i = 0; i < 4; i++) expectProblem(await attempt(proxied.url, c.username, 'wrong-password', from), 401, 'invalid_credentials');
    expect((await attempt(proxied.url, c.username, c.password, from)).status).toBe(200);
  });

  it('counts wrong current passwords on a password change with the login guesses', async () => {
    const c: TestCustomer = await newCustomer();
    const from = address();
    const change = (currentPassword: string) =>
      api(proxied.url).patch(`/customers/${c.username}`).set(c.auth).set('X-Forwarded-For', from).send({ password: 'a-new-password', currentPassword });
    for (let i = 0; i < 5; i++) expectProblem(await change('wrong-password'), 401, 'invalid_credentials');
    expectProblem(await change(c.password), 429, 'rate_limited');
  });

  it('blocks an address that fails across many usernames, shared by every replica', async () => {
    // Two replicas behind a proxy that reports the client address; the counter lives in the database.
    const env = { TRUST_PROXY_HOPS: '1', LOGIN_FAILURES_PER_ADDRESS: '4' };
    const [one, two] = await Promise.all([startInstance('customers', env), startInstance('customers', env)]);
    const from = address();
    const body = customerBody();
    await api('customers').post('/customers').send(body).expect(201);
    for (let i = 0; i < 4; i++) {
      const replica = i % 2 ? two : one;
      expectProblem(await attempt(replica.url, `nobody${i}x`, 'wrong-password', from), 401, 'invalid_credentials');
    }
    expectProblem(await attempt(one.url, body.username, body.password, from), 429, 'rate_limited');
    expectProblem(await attempt(two.url, body.username, body.password, from), 429, 'rate_limited');
    expect((await attempt(one.url, body.username, body.password, address())).status).toBe(200);
  });
});

describe('registrations per address', () => {
  it('refuses the registration past REGISTRATIONS_PER_HOUR from one address, on every replica, with Retry-After', async () => {
    const env = { TRUST_PROXY_HOPS: '1', REGISTRATIONS_PER_HOUR: '3' };
    const [one, two] = await Promise.all([startInstance('customers', env), startInstance('customers', env)]);
    const register = (base: string, from: string) => api(base).post('/customers').set('X-Forwarded-For', from).send(customerBody());
    const from = address();
    // Five at once across two replicas: the count is taken in the database before bcrypt, so exactly three pass.
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => register(i % 2 ? two.url : one.url, from)));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429]);
    const refused = await register(one.url, from);
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
    expect((await register(two.url, address())).status).toBe(201);
  });
});
