import { api, customerBody, expectProblem, newCustomer, startInstance } from '@shop/testkit';

const attempt = (base: string, username: string, password: string, address?: string) => {
  const req = api(base).post('/auth/login');
  if (address) req.set('X-Forwarded-For', address);
  return req.send({ username, password });
};

describe('failed-login limits', () => {
  it('blocks a username after too many failures, even with the right password', async () => {
    const c = await newCustomer();
    for (let i = 0; i < 5; i++) expectProblem(await attempt('customers', c.username, 'wrong-password'), 401, 'invalid_credentials');
    const blocked = await attempt('customers', c.username, c.password);
    expectProblem(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('does not block other usernames from the same address', async () => {
    const [victim, other] = await Promise.all([newCustomer(), newCustomer()]);
    for (let i = 0; i < 6; i++) await attempt('customers', victim.username, 'wrong-password');
    expect((await attempt('customers', other.username, other.password)).status).toBe(200);
  });

  it('never blocks a burst of successful logins from one address', async () => {
    const c = await newCustomer();
    const results = await Promise.all(Array.from({ length: 60 }, () => attempt('customers', c.username, c.password)));
    expect(results.every((r) => r.status === 200)).toBe(true);
  });

  it('blocks an address that fails across many usernames, shared by every replica', async () => {
    // Two replicas behind a proxy that reports the client address; the counter lives in the database.
    const env = { TRUST_PROXY_HOPS: '1', LOGIN_FAILURES_PER_ADDRESS: '4' };
    const [one, two] = await Promise.all([startInstance('customers', env), startInstance('customers', env)]);
    const address = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const body = customerBody();
    await api('customers').post('/customers').send(body).expect(201);
    for (let i = 0; i < 4; i++) {
      const replica = i % 2 ? two : one;
      expectProblem(await attempt(replica.url, `nobody${i}x`, 'wrong-password', address), 401, 'invalid_credentials');
    }
    expectProblem(await attempt(one.url, body.username, body.password, address), 429, 'rate_limited');
    expectProblem(await attempt(two.url, body.username, body.password, address), 429, 'rate_limited');
    expect((await attempt(one.url, body.username, body.password, '198.51.100.7')).status).toBe(200);
  });
});
