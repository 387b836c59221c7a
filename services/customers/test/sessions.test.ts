import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/kit/src/tokens';
import { api, bearer, customerBody, expectProblem, newCustomer, serviceCredential, sql, startInstance, system, unique, type TestCustomer } from '@shop/testkit';

interface Tokens {
  accessToken: string;
  refreshToken: string;
}
const logIn = async (c: { username: string; password: string }, userAgent = 'jest') => {
  const res = await api('customers').post('/auth/login').set('User-Agent', userAgent).send({ username: c.username, password: c.password });
  expect(res.status).toBe(200);
  return res.body as Tokens & { tokenType: string; expiresIn: number; refreshExpiresIn: number };
};
const refresh = (refreshToken: string) => api('customers').post('/auth/refresh').send({ refreshToken });
/** A self route of customers: it refuses a token of an ended session at once. */
const profile = (c: TestCustomer, accessToken: string) => api('customers').get(`/customers/${c.username}`).set(bearer(accessToken));
/** What login and refresh answer: a 15-minute access token and a 30-day refresh token. */
const TOKEN_PAIR = {
  accessToken: expect.any(String),
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshToken: expect.any(String),
  refreshExpiresIn: 30 * 86_400,
};
const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

describe('POST /auth/login', () => {
  it('opens a session: a short access token naming it, and an opaque refresh token stored only as a hash', async () => {
    const c = await newCustomer();
    const res = await api('customers').post('/auth/login').send({ username: c.username, password: c.password });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual(TOKEN_PAIR);
    // 256 random bits, base64url.
    expect(Buffer.from(res.body.refreshToken, 'base64url')).toHaveLength(32);
    const claims = jwt.decode(res.body.accessToken) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: c.id, username: c.username, role: 'customer', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sid: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBe(900);
    const rows = await sql('customers', 'SELECT r.token_hash FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE s.id = $1', [claims.sid]);
    expect(rows).toEqual([{ token_hash: sha256(res.body.refreshToken) }]);
    expect(JSON.stringify(await sql('customers', 'SELECT * FROM sessions WHERE customer_id = $1', [c.id]))).not.toContain(res.body.refreshToken);
  });
});

describe('POST /auth/refresh', () => {
  it('rotates the refresh token: new tokens in the same session, and the old refresh token stops working', async () => {
    const c = await newCustomer();
    const first = await logIn(c);
    const res = await refresh(first.refreshToken);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual(TOKEN_PAIR);
    expect(res.body.refreshToken).not.toBe(first.refreshToken);
    expect((jwt.decode(res.body.accessToken) as jwt.JwtPayload).sid).toBe((jwt.decode(first.accessToken) as jwt.JwtPayload).sid);
    expect((await profile(c, res.body.accessToken)).status).toBe(200);
    expect((await refresh(res.body.refreshToken)).status).toBe(200);
  });

  it('ends the whole session when a rotated refresh token comes back (it was copied)', async () => {
    const c = await newCustomer();
    const first = await logIn(c);
    const second = (await refresh(first.refreshToken)).body as Tokens;
    expectProblem(await refresh(first.refreshToken), 401, 'unauthorized');
    // The thief's replay ended the session for the rightful holder too: both must log in again.
    expectProblem(await refresh(second.refreshToken), 401, 'unauthorized');
    expectProblem(await profile(c, second.accessToken), 401, 'unauthorized');
  });

  it('lets only one of two simultaneous refreshes with the same token through', async () => {
    const c = await newCustomer();
    const { refreshToken } = await logIn(c);
    const answers = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('refuses an unknown refresh token', async () => {
    expectProblem(await refresh(crypto.randomBytes(32).toString('base64url')), 401, 'unauthorized');
  });
});

describe('POST /auth/logout', () => {
  it('ends the session: customers refuses its access token at once, the other services within 5 s', async () => {
    const c = await newCustomer();
    const { accessToken, refreshToken } = await logIn(c);
    expect((await api('sales').get('/sales').set(bearer(accessToken))).status).toBe(200);
    const out = await api('customers').post('/auth/logout').send({ refreshToken });
    expect(out.status).toBe(204);
    expectProblem(await refresh(refreshToken), 401, 'unauthorized');
    expectProblem(await profile(c, accessToken), 401, 'unauthorized');
    // Sales learns it from customers' feed of ended sessions (read every second, never per request).
    expectProblem(await refusedWithin5s('sales', '/sales', accessToken), 401, 'unauthorized');
  });

  it('answers 204 for an unknown token too', async () => {
    expect((await api('customers').post('/auth/logout').send({ refreshToken: 'never-issued' })).status).toBe(204);
  });
});

describe('/customers/:username/sessions', () => {
  it('lists the open sessions newest first, ends one, then all', async () => {
    const c = await newCustomer();
    const phone = await logIn(c, 'phone');
    const laptop = await logIn(c, 'laptop');
    const list = await api('customers').get(`/customers/${c.username}/sessions`).set(bearer(laptop.accessToken));
    expect(list.status).toBe(200);
    expect(list.headers['cache-control']).toBe('no-store');
    // newCustomer's own login, then the phone, then the laptop.
    expect(list.body.total).toBe(3);
    expect(list.body.data.slice(0, 2).map((s: { userAgent: string }) => s.userAgent)).toEqual(['laptop', 'phone']);
    expect(list.body.data[0]).toEqual({
      id: expect.any(String),
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      expiresAt: expect.any(String),
      userAgent: 'laptop',
    });

    const phoneSession = (jwt.decode(phone.accessToken) as jwt.JwtPayload).sid;
    expect((await api('customers').delete(`/customers/${c.username}/sessions/${phoneSession}`).set(bearer(laptop.accessToken))).status).toBe(204);
    expectProblem(await profile(c, phone.accessToken), 401, 'unauthorized');
    expectProblem(await refresh(phone.refreshToken), 401, 'unauthorized');
    expect((await profile(c, laptop.accessToken)).status).toBe(200);
    expectProblem(await api('customers').delete(`/customers/${c.username}/sessions/${phoneSession}`).set(bearer(laptop.accessToken)), 404, 'not_found');

    expect((await api('customers').delete(`/customers/${c.username}/sessions`).set(bearer(laptop.accessToken))).status).toBe(204);
    expectProblem(await profile(c, laptop.accessToken), 401, 'unauthorized');
    expectProblem(await profile(c, c.token), 401, 'unauthorized');
  });

  it("is self or admin: another customer's sessions are refused", async () => {
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    const session = (jwt.decode(b.token) as jwt.JwtPayload).sid;
    expectProblem(await api('customers').get(`/customers/${b.username}/sessions`).set(a.auth), 403, 'forbidden');
    expectProblem(await api('customers').delete(`/customers/${b.username}/sessions/${session}`).set(a.auth), 403, 'forbidden');
    expect((await profile(b, b.token)).status).toBe(200);
  });
});

/**
 * Polls `path` with `token` until it is refused (every 100 ms, for the contract's 5 s), and answers the last
 * answer: the test asserts it is the 401.
 */
async function refusedWithin5s(service: 'sales' | 'inventory' | 'reviews', path: string, token: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await api(service).get(path).set(bearer(token));
    if (res.status === 401 || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Another admin account (created by the start-up of a customers instance configured with its name), logged in. */
async function secondAdmin() {
  const account = { username: unique('admin'), password: 'second-admin-password' };
  await startInstance('customers', { ADMIN_USERNAME: account.username, ADMIN_PASSWORD: account.password });
  return { ...account, ...(await logIn(account)) };
}

describe('an ended session ends at every service within 5 s', () => {
  it("an admin's password change: the old admin token is refused at inventory's admin routes", async () => {
    const other = await secondAdmin();
    expect((await api('inventory').get('/webhooks').set(bearer(other.accessToken))).status).toBe(200);
    await api('customers')
      .patch(`/customers/${other.username}`)
      .set(bearer(other.accessToken))
      .send({ password: 'a-new-admin-password', currentPassword: other.password })
      .expect(200);
    expectProblem(await refusedWithin5s('inventory', '/webhooks', other.accessToken), 401, 'unauthorized');
  });

  it('one session ended (DELETE): its token is refused at reviews, another session of the customer is not', async () => {
    const c = await newCustomer();
    const [phone, laptop] = [await logIn(c, 'phone'), await logIn(c, 'laptop')];
    // GET /reviews is for admins: a valid customer token gets 403 there, a refused one 401.
    expectProblem(await api('reviews').get('/reviews').set(bearer(phone.accessToken)), 403, 'forbidden');
    const sid = (jwt.decode(phone.accessToken) as jwt.JwtPayload).sid as string;
    await api('customers').delete(`/customers/${c.username}/sessions/${sid}`).set(bearer(laptop.accessToken)).expect(204);
    expectProblem(await refusedWithin5s('reviews', '/reviews', phone.accessToken), 401, 'unauthorized');
    expectProblem(await api('reviews').get('/reviews').set(bearer(laptop.accessToken)), 403, 'forbidden');
  });

  it("deleting the account (its sessions go by the cascade): the account's tokens are refused at sales", async () => {
    const body = customerBody();
    await api('customers').post('/customers').send(body).expect(201);
    const { accessToken } = await logIn(body);
    expect((await api('sales').get('/sales').set(bearer(accessToken))).status).toBe(200);
    await api('customers').delete(`/customers/${body.username}`).set(bearer(accessToken)).expect(204);
    expectProblem(await refusedWithin5s('sales', '/sales', accessToken), 401, 'unauthorized');
  });

  it('a refresh token presented twice: the whole session is refused at sales', async () => {
    const c = await newCustomer();
    const first = await logIn(c);
    const second = (await refresh(first.refreshToken)).body as Tokens;
    expectProblem(await refresh(first.refreshToken), 401, 'unauthorized');
    expectProblem(await refusedWithin5s('sales', '/sales', second.accessToken), 401, 'unauthorized');
  });
});

describe('GET /internal/sessions/ended', () => {
  const feed = (query: Record<string, string> = {}, caller = 'sales') =>
    api('customers')
      .get('/internal/sessions/ended')
      .query(query)
      .set(bearer(serviceCredential(caller, 'customers')!));

  it('lists every ended session once read to its end, for sales, inventory and reviews, and looks back on each later read', async () => {
    const c = await newCustomer();
    const { accessToken, refreshToken } = await logIn(c);
    const sid = (jwt.decode(accessToken) as jwt.JwtPayload).sid as string;
    await api('customers').post('/auth/logout').send({ refreshToken }).expect(204);
    for (const caller of ['sales', 'inventory', 'reviews']) {
      const seen: Array<{ id: string; until: string }> = [];
      let after: string | undefined;
      for (let more = true; more;) {
        const res = await feed(after ? { after } : {}, caller);
        expect(res.status).toBe(200);
        seen.push(...res.body.sessions);
        ({ nextCursor: after, more } = res.body);
      }
      const mine = seen.find((session) => session.id === sid);
      // Its tokens live 15 minutes at most (plus the 30 s skew) from the end: the reader may forget it then.
      expect(Date.parse(mine!.until) - Date.now()).toBeGreaterThan(880_000);
      expect(Date.parse(mine!.until) - Date.now()).toBeLessThanOrEqual(930_000);
      // Caught up, the cursor looks a few seconds back: an end committed late is read on the next poll.
      expect((await feed({ after: after! }, caller)).body.sessions.map((session: { id: string }) => session.id)).toContain(sid);
    }
  });

  it('forgets ends whose tokens have all expired (retention on a timer), and keeps the others', async () => {
    await startInstance('customers', { RETENTION_INTERVAL_MS: '200' });
    const [old, recent] = [crypto.randomUUID(), crypto.randomUUID()];
    // Written straight into the table: an end of an hour ago (its tokens expired 45 minutes ago), and one of now.
    await sql('customers', `INSERT INTO ended_sessions (session_id, ended_at) VALUES ($1, now() - interval '1 hour'), ($2, now())`, [old, recent]);
    const rows = () => sql('customers', 'SELECT session_id FROM ended_sessions WHERE session_id = ANY($1::uuid[])', [[old, recent]]);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && (await rows()).length > 1;) await new Promise((r) => setTimeout(r, 100));
    expect(await rows()).toEqual([{ session_id: recent }]);
  });

  it('refuses a cursor it did not give out (400)', async () => {
    for (const after of ['not-a-cursor', Buffer.from('1.2.x').toString('base64url'), 'MTIzLjQ1Ni4wMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=']) {
      expectProblem(await feed({ after }), 400, 'validation_failed');
    }
  });
});

describe('what ends every session', () => {
  it('a password change, the changing session included', async () => {
    const c = await newCustomer();
    const other = await logIn(c);
    await api('customers').patch(`/customers/${c.username}`).set(c.auth).send({ password: 'a-brand-new-one', currentPassword: c.password }).expect(200);
    expectProblem(await profile(c, c.token), 401, 'unauthorized');
    expectProblem(await profile(c, other.accessToken), 401, 'unauthorized');
    expectProblem(await refresh(other.refreshToken), 401, 'unauthorized');
    expect(await sql('customers', 'SELECT 1 FROM sessions WHERE customer_id = $1', [c.id])).toHaveLength(0);
  });

  it('deleting the account', async () => {
    const body = customerBody();
    await api('customers').post('/customers').send(body).expect(201);
    const { accessToken, refreshToken } = await logIn(body);
    await api('customers').delete(`/customers/${body.username}`).set(bearer(accessToken)).expect(204);
    expectProblem(await refresh(refreshToken), 401, 'unauthorized');
    expect(await sql('customers', 'SELECT 1 FROM refresh_tokens WHERE token_hash = $1', [sha256(refreshToken)])).toHaveLength(0);
  });
});

describe('access token checks (kit verifiers, in every service)', () => {
  const sign = (c: TestCustomer, claims: Record<string, unknown>, options: jwt.SignOptions = {}) => {
    const { sid } = jwt.decode(c.token) as jwt.JwtPayload;
    const kid = jwt.decode(c.token, { complete: true })!.header.kid;
    const base = {
      sub: c.id,
      username: c.username,
      role: 'customer',
      sid,
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
      iat: Math.floor(Date.now() / 1000),
      ...claims,
    };
    const payload = Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined));
    return jwt.sign(payload, system().env.customers.JWT_PRIVATE_KEY!, { algorithm: 'RS256', keyid: kid, ...options });
  };
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    // `exp` as seconds from when the test runs (not from when the file was loaded: earlier tests take a while).
    ['no exp', 401, { exp: undefined }],
    ['another issuer', 401, { iss: 'someone-else', exp: 600 }],
    ['no issuer', 401, { iss: undefined, exp: 600 }],
    ['another audience', 401, { aud: 'another-shop', exp: 600 }],
    ['no session id', 401, { sid: undefined, exp: 600 }],
    ['expired 60 s ago (past the 30 s skew)', 401, { exp: -60 }],
    ['expired 10 s ago (within the 30 s skew)', 200, { exp: -10 }],
    ['valid', 200, { exp: 600 }],
  ])('%s → %d at customers, sales and reviews', async (_what, status, { exp, ...claims }: Record<string, unknown>) => {
    const c = await newCustomer();
    const token = bearer(sign(c, { ...claims, exp: typeof exp === 'number' ? now() + exp : undefined }));
    const answers = [
      (await api('customers').get(`/customers/${c.username}`).set(token)).status,
      (await api('sales').get('/sales').set(token)).status,
      (await api('reviews').get('/reviews').set(token)).status,
    ];
    // GET /reviews is for admins: a valid customer token gets 403 there, a refused one 401.
    expect(answers).toEqual([status, status, status === 200 ? 403 : 401]);
  });
});

describe('key rotation', () => {
  it('publishes the previous keys, so tokens signed before a rotation still verify everywhere', async () => {
    const c = await newCustomer();
    const oldPublic = crypto.createPublicKey(system().env.customers.JWT_PRIVATE_KEY!).export({ format: 'pem', type: 'spki' }).toString();
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rotated = await startInstance('customers', {
      JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      JWT_PREVIOUS_PUBLIC_KEYS: oldPublic,
    });
    const sales = await startInstance('sales', { JWKS_URL: `${rotated.url}/.well-known/jwks.json` });

    const jwks = await api(rotated.url).get('/.well-known/jwks.json');
    const oldKid = jwt.decode(c.token, { complete: true })!.header.kid;
    expect(jwks.body.keys).toHaveLength(2);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(oldKid);

    // A token from before the rotation, at the rotated customers and at a sales that reads its keys.
    expect((await api(rotated.url).get(`/customers/${c.username}`).set(c.auth)).status).toBe(200);
    expect((await api(sales.url).get('/sales').set(c.auth)).status).toBe(200);
    // New tokens are signed with the new key, and verify too.
    const fresh = await api(rotated.url).post('/auth/login').send({ username: c.username, password: c.password });
    expect(jwt.decode(fresh.body.accessToken, { complete: true })!.header.kid).not.toBe(oldKid);
    expect((await api(sales.url).get('/sales').set(bearer(fresh.body.accessToken))).status).toBe(200);
  });
});
