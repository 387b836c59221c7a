import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/kit/src/tokens';
import { api, bearer, customerBody, expectProblem, newCustomer, sql, startInstance, system, type TestCustomer } from '@shop/testkit';

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
  it('ends the session: customers refuses its access token at once, the other services until it expires', async () => {
    const c = await newCustomer();
    const { accessToken, refreshToken } = await logIn(c);
    const out = await api('customers').post('/auth/logout').send({ refreshToken });
    expect(out.status).toBe(204);
    expectProblem(await refresh(refreshToken), 401, 'unauthorized');
    expectProblem(await profile(c, accessToken), 401, 'unauthorized');
    // The documented trade-off: sales checks only signature and expiry (no call to customers per request).
    expect((await api('sales').get('/sales').set(bearer(accessToken))).status).toBe(200);
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
    ['no exp', 401, { exp: undefined }],
    ['another issuer', 401, { iss: 'someone-else', exp: now() + 600 }],
    ['no issuer', 401, { iss: undefined, exp: now() + 600 }],
    ['another audience', 401, { aud: 'another-shop', exp: now() + 600 }],
    ['no session id', 401, { sid: undefined, exp: now() + 600 }],
    ['expired 60 s ago (past the 30 s skew)', 401, { exp: now() - 60 }],
    ['expired 10 s ago (within the 30 s skew)', 200, { exp: now() - 10 }],
    ['valid', 200, { exp: now() + 600 }],
  ])('%s → %d at customers, sales and reviews', async (_what, status, claims) => {
    const c = await newCustomer();
    const token = bearer(sign(c, claims));
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
