import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { api, bearer, customerBody, expectProblem, newCustomer, serviceCredential, sql, startInstance, type TestCustomer } from '@shop/testkit';
import type { ServiceProcess } from '@shop/devkit';

// The run's customers sees every test as 127.0.0.1 and has its per-address limits out of reach (see the
// test system). Limits per address are tested here on instances behind a pretend proxy: TRUST_PROXY_HOPS=1
// makes X-Forwarded-For the client address, so each test can play as many addresses as it needs.
const hex4 = () => crypto.randomBytes(2).toString('hex');
/** A group as the service writes it in a /64's key (no leading zero), so a test finds its counters by the prefix. */
const group = () => crypto.randomInt(0x1000, 0x10000).toString(16);
/**
 * A client network of its own for each test: an IPv6 /64 under the documentation prefix (every limit counts an
 * IPv6 client by its /64), and an address in it; `inside(prefix)` another address in the same /64.
 */
const network = () => `2001:db8:${group()}:${group()}`;
const inside = (prefix: string) => `${prefix}:${hex4()}:${hex4()}:${hex4()}:${hex4()}`;
const address = () => inside(network());
/** The password checks (bcrypt comparisons) an instance has made, from its /metrics. */
const passwordChecks = async (base: string) => {
  const text = (await api(base).get('/metrics')).text;
  return Number(/^customers_password_checks_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1]);
};

const attempt = (base: string, username: string, password: string, from?: string) => {
  const req = api(base).post('/auth/login');
  if (from) req.set('X-Forwarded-For', from);
  return req.send({ username, password });
};

/** Polls until `condition` holds (every 100 ms, up to 20 s); the test then asserts the condition itself. */
async function until(condition: () => Promise<boolean>, deadlineMs = 20_000) {
  for (const end = Date.now() + deadlineMs; Date.now() < end && !(await condition());) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Every session id the ended-sessions feed lists now (as sales reads it). */
async function endedSessionIds(): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await api('customers')
      .get('/internal/sessions/ended')
      .query(after ? { after } : {})
      .set(bearer(serviceCredential('sales', 'customers')!));
    expect(res.status).toBe(200);
    ids.push(...res.body.sessions.map((session: { id: string }) => session.id));
    after = res.body.nextCursor;
    if (!res.body.more) return ids;
  }
}

let proxied: ServiceProcess;
beforeAll(async () => {
  proxied = await startInstance('customers', { TRUST_PROXY_HOPS: '1', LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '5', LOGIN_FAILURES_PER_ADDRESS: '50' });
});

describe('failed-login limits', () => {
  it('counts guesses before checking them: 8 at once against a limit of 5 reach bcrypt 5 times', async () => {
    const c = await newCustomer();
    const from = address();
    // The statuses are the same whether the throttle counts before or after bcrypt; the instance's count of
    // bcrypt comparisons is not: counted after, all 8 would be compared. (This file's tests run one at a time,
    // and nothing else logs in at this instance.)
    const before = await passwordChecks(proxied.url);
    const answers = await Promise.all(Array.from({ length: 8 }, () => attempt(proxied.url, c.username, 'wrong-password', from)));
    expect(answers.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect((await passwordChecks(proxied.url)) - before).toBe(5);
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

describe('client addresses', () => {
  it('counts every IPv6 address of one /64 as one client: a fresh address in it gets no fresh bucket', async () => {
    const c = await newCustomer();
    const prefix = network();
    for (let i = 0; i < 5; i++) expectProblem(await attempt(proxied.url, c.username, 'wrong-password', inside(prefix)), 401, 'invalid_credentials');
    expectProblem(await attempt(proxied.url, c.username, c.password, inside(prefix)), 429, 'rate_limited');
    expect((await attempt(proxied.url, c.username, c.password, address())).status).toBe(200);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address it is', async () => {
    const c = await newCustomer();
    const v4 = `192.0.2.${crypto.randomInt(1, 255)}`;
    const other = await newCustomer();
    for (let i = 0; i < 5; i++) expectProblem(await attempt(proxied.url, c.username, 'wrong-password', `::ffff:${v4}`), 401, 'invalid_credentials');
    expectProblem(await attempt(proxied.url, c.username, c.password, v4), 429, 'rate_limited');
    // (an address of its own for the other customer: this one is in TEST-NET-1 and may be shared with another run's test)
    expect((await attempt(proxied.url, other.username, other.password, v4)).status).toBe(200);
  });
});

describe('the counters table', () => {
  it('writes nothing for an attempt already refused: a flood of new usernames from a blocked address adds no row', async () => {
    const blocked = await startInstance('customers', { TRUST_PROXY_HOPS: '1', LOGIN_FAILURES_PER_ADDRESS: '2' });
    const prefix = network();
    const rows = () => sql('customers', `SELECT key, hits FROM rate_limit_hits WHERE key LIKE $1 ORDER BY key`, [`%${prefix}::/64`]);
    for (let i = 0; i < 2; i++) expectProblem(await attempt(blocked.url, `guess${i}x`, 'wrong-password', inside(prefix)), 401, 'invalid_credentials');
    const counted = await rows();
    expect(counted).toHaveLength(3); // two (username, address) pairs and the address
    for (let i = 0; i < 20; i++) expectProblem(await attempt(blocked.url, `flood${i}x`, 'wrong-password', inside(prefix)), 429, 'rate_limited');
    expect(await rows()).toEqual(counted);
  });

  it('purges counters whose window has ended, on a timer, and keeps those still counting', async () => {
    await startInstance('customers', { RETENTION_INTERVAL_MS: '200' });
    const prefix = network();
    // Written straight into the table: one counter whose window ended a minute ago, one with 10 minutes to go.
    await sql(
      'customers',
      `INSERT INTO rate_limit_hits (key, hits, reset_at) VALUES ($1, 3, now() - interval '1 minute'), ($2, 3, now() + interval '10 minutes')`,
      [`login:ended@${prefix}::/64`, `login:counting@${prefix}::/64`],
    );
    const rows = () => sql('customers', `SELECT key FROM rate_limit_hits WHERE key LIKE $1 ORDER BY key`, [`%${prefix}::/64`]);
    await until(async () => (await rows()).length < 2);
    expect(await rows()).toEqual([{ key: `login:counting@${prefix}::/64` }]);
  });

  it('answers a username that is not well-formed UTF-16 (a lone surrogate) with a 4xx, never a 500', async () => {
    const res = await api(proxied.url)
      .post('/auth/login')
      .set('X-Forwarded-For', address())
      .set('Content-Type', 'application/json')
      .send('{"username":"a\\ud800b","password":"wrong-password"}');
    // 401 from the throttle and the password check, or 400 where the kit refuses such strings at the door.
    expect([400, 401]).toContain(res.status);
    expect(res.body.code).toBe(res.status === 400 ? 'validation_failed' : 'invalid_credentials');
  });
});

describe('successful logins', () => {
  it('limits them per (username, address) and minute: past LOGINS_PER_MINUTE → 429 with Retry-After, other addresses unaffected', async () => {
    const limited = await startInstance('customers', { TRUST_PROXY_HOPS: '1', LOGINS_PER_MINUTE: '3' });
    const c = await newCustomer();
    const from = address();
    for (let i = 0; i < 3; i++) expect((await attempt(limited.url, c.username, c.password, from)).status).toBe(200);
    const refused = await attempt(limited.url, c.username, c.password, from);
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await attempt(limited.url, c.username, c.password, address())).status).toBe(200);
  });

  it('keeps at most SESSIONS_PER_CUSTOMER sessions: a new login ends the oldest, which the ended-sessions feed then lists', async () => {
    const capped = await startInstance('customers', { TRUST_PROXY_HOPS: '1', SESSIONS_PER_CUSTOMER: '3' });
    const c = await newCustomer();
    const logins = [];
    for (let i = 0; i < 4; i++) {
      const res = await attempt(capped.url, c.username, c.password, address());
      expect(res.status).toBe(200);
      logins.push(res.body as { accessToken: string; refreshToken: string });
    }
    const sids = logins.map((login) => (jwt.decode(login.accessToken) as jwt.JwtPayload).sid as string);
    const open = await api('customers').get(`/customers/${c.username}/sessions`).set(bearer(logins[3]!.accessToken));
    expect(open.status).toBe(200);
    // newCustomer's own login is the oldest of all: it and the first of these went.
    expect(open.body.data.map((session: { id: string }) => session.id).sort()).toEqual(sids.slice(1).sort());
    expectProblem(await api('customers').post('/auth/refresh').send({ refreshToken: logins[0]!.refreshToken }), 401, 'unauthorized');
    expect(await endedSessionIds()).toEqual(expect.arrayContaining([sids[0]]));
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
