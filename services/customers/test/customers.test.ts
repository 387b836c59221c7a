import { createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { admin, api, bearer, customerBody, expectProblem, forgedTokens, login, newCustomer, sql, startInstance, unique } from '@shop/testkit';

describe('POST /customers', () => {
  it('registers a customer with an empty wallet and the customer role', async () => {
    const body = customerBody();
    const res = await api('customers').post('/customers').send(body);
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/customers/${body.username}`);
    const { password, ...profile } = body;
    expect(res.body).toEqual({
      ...profile,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      balanceCents: 0,
      role: 'customer',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain(password);
  });

  it('stores the password only as a bcrypt hash', async () => {
    const body = customerBody();
    await api('customers').post('/customers').send(body).expect(201);
    const [row] = await sql('customers', 'SELECT password_hash FROM customers WHERE username = $1', [body.username]);
    expect(row.password_hash).toMatch(/^\$2[aby]\$\d\d\$/);
    expect(row.password_hash).not.toContain(body.password);
  });

  it('refuses a taken username, whatever its case, with conflict', async () => {
    const body = customerBody();
    await api('customers').post('/customers').send(body).expect(201);
    const res = await api('customers')
      .post('/customers')
      .send({ ...body, username: body.username.toUpperCase() });
    expectProblem(res, 409, 'conflict');
  });

  it.each([
    ['role', { role: 'admin' }],
    ['balanceCents', { balanceCents: 1_000_000 }],
    ['id', { id: '00000000-0000-4000-8000-000000000000' }],
  ])('rejects the unknown field %s', async (_field, extra) => {
    const res = await api('customers')
      .post('/customers')
      .send({ ...customerBody(), ...extra });
    expectProblem(res, 400, 'validation_failed');
  });

  it.each([
    ['username', 'ab'],
    ['username', 'has space'],
    ['username', 'x'.repeat(33)],
    ['password', 'short7!'],
    ['password', 'p'.repeat(73)],
    ['age', 151],
    ['age', -1],
    ['age', 30.5],
    ['age', '30'],
    ['firstName', ''],
    ['lastName', 'l'.repeat(51)],
    ['address', 'a'.repeat(201)],
    ['gender', 'unknown'],
    ['maritalStatus', 'complicated'],
  ])('rejects %s = %j with the field named', async (field, value) => {
    const res = await api('customers')
      .post('/customers')
      .send(customerBody({ [field]: value }));
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: `body.${field}` })]));
  });

  it('refuses a password over 72 bytes in UTF-8, which bcrypt would cut silently', async () => {
    // 36 × "é" is 72 bytes: with anything after it, two different passwords would hash alike.
    const body = customerBody({ password: `${'é'.repeat(36)}abc` });
    const res = await api('customers').post('/customers').send(body);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ path: 'body.password', message: expect.stringContaining('72 bytes') }]);
    const c = await newCustomer();
    const patch = await api('customers')
      .patch(`/customers/${c.username}`)
      .set((await admin()).auth)
      .send({ password: `${'é'.repeat(36)}zzz` });
    expectProblem(patch, 400, 'validation_failed');
    // 72 bytes exactly is fine (and strong enough: repeating one letter would be 400 weak_password).
    const exactly72 = `ñandú-café-crème-brûlée-déjà-vu${'é'.repeat(16)}x`;
    expect(Buffer.byteLength(exactly72)).toBe(72);
    await api('customers')
      .post('/customers')
      .send(customerBody({ password: exactly72 }))
      .expect(201);
  });

  it('rejects the NUL character, which PostgreSQL cannot store, as a validation failure', async () => {
    const res = await api('customers')
      .post('/customers')
      .send(customerBody({ firstName: 'A\u0000B' }));
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ path: 'body.firstName', message: expect.stringContaining('NUL') }]);
    const search = await api('customers')
      .get('/customers')
      .query({ q: 'a\u0000b' })
      .set((await admin()).auth);
    expectProblem(search, 400, 'validation_failed');
  });

  it('rejects a missing body', async () => {
    expectProblem(await api('customers').post('/customers'), 400, 'validation_failed');
  });
});

describe('POST /auth/login', () => {
  it('issues an RS256 token whose claims name the customer', async () => {
    const c = await newCustomer();
    const res = await api('customers').post('/auth/login').send({ username: c.username, password: c.password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
      refreshToken: expect.any(String),
      refreshExpiresIn: expect.any(Number),
    });
    const decoded = jwt.decode(res.body.accessToken, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    const claims = decoded.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: c.id, username: c.username, role: 'customer' });
    expect(claims.exp! - claims.iat!).toBe(res.body.expiresIn);
  });

  it('signs with a key published in the JWKS', async () => {
    const c = await newCustomer();
    const jwks = await api('customers').get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const kid = jwt.decode(c.token, { complete: true })!.header.kid;
    const jwk = jwks.body.keys.find((key: { kid: string }) => key.kid === kid);
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwk.d).toBeUndefined();
    expect(() => jwt.verify(c.token, createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: ['RS256'] })).not.toThrow();
  });

  it('accepts the username in any case', async () => {
    const c = await newCustomer();
    const res = await api('customers').post('/auth/login').send({ username: c.username.toUpperCase(), password: c.password });
    expect(res.status).toBe(200);
  });

  it('gives the same answer for a wrong password and an unknown user', async () => {
    const c = await newCustomer();
    const wrong = await api('customers').post('/auth/login').send({ username: c.username, password: 'wrong-password' });
    const unknown = await api('customers')
      .post('/auth/login')
      .send({ username: unique('nobody'), password: 'whatever-123' });
    expectProblem(wrong, 401, 'invalid_credentials');
    expectProblem(unknown, 401, 'invalid_credentials');
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it('rejects a body without a password', async () => {
    expectProblem(await api('customers').post('/auth/login').send({ username: 'someone' }), 400, 'validation_failed');
  });
});

describe('GET /customers/:username', () => {
  it('shows customers their own profile', async () => {
    const c = await newCustomer();
    const res = await api('customers').get(`/customers/${c.username}`).set(c.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: c.id, username: c.username });
    expect(res.body.passwordHash).toBeUndefined();
  });

  it('shows any profile to an admin', async () => {
    const c = await newCustomer();
    const res = await api('customers')
      .get(`/customers/${c.username}`)
      .set((await admin()).auth);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(c.id);
  });

  it("refuses another customer's profile with forbidden", async () => {
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    expectProblem(await api('customers').get(`/customers/${b.username}`).set(a.auth), 403, 'forbidden');
  });

  it('requires a token', async () => {
    const c = await newCustomer();
    expectProblem(await api('customers').get(`/customers/${c.username}`), 401, 'unauthorized');
  });

  it('refuses forged, expired and unsigned tokens', async () => {
    const c = await newCustomer();
    await admin();
    const forged = forgedTokens({ sub: c.id, username: c.username, role: 'admin' });
    for (const token of Object.values(forged)) {
      const res = await api('customers').get(`/customers/${c.username}`).set('Authorization', `Bearer ${token}`);
      expectProblem(res, 401, 'unauthorized');
    }
  });

  it('answers not_found for an unknown username', async () => {
    expectProblem(
      await api('customers')
        .get(`/customers/${unique('ghost')}`)
        .set((await admin()).auth),
      404,
      'not_found',
    );
  });

  it('rejects an invalid username in the path', async () => {
    expectProblem(
      await api('customers')
        .get('/customers/x!')
        .set((await admin()).auth),
      400,
      'validation_failed',
    );
  });
});

describe('PATCH /customers/:username', () => {
  it('updates the given fields and keeps the rest', async () => {
    const c = await newCustomer();
    const res = await api('customers').patch(`/customers/${c.username}`).set(c.auth).send({ address: '9 New Road', age: 40 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ address: '9 New Road', age: 40, firstName: 'Test' });
    expect(res.body.updatedAt > res.body.createdAt).toBe(true);
    const stored = await api('customers').get(`/customers/${c.username}`).set(c.auth);
    expect(stored.body).toMatchObject({ address: '9 New Road', age: 40 });
  });

  it('changes the password: the old one stops working, the new one works', async () => {
    const c = await newCustomer();
    await api('customers').patch(`/customers/${c.username}`).set(c.auth).send({ password: 'brand-new-secret', currentPassword: c.password }).expect(200);
    expectProblem(await api('customers').post('/auth/login').send({ username: c.username, password: c.password }), 401, 'invalid_credentials');
    expect(await login(c.username, 'brand-new-secret')).toEqual(expect.any(String));
  });

  it('needs the current password from a customer changing their own', async () => {
    const c = await newCustomer();
    const patch = (body: object) => api('customers').patch(`/customers/${c.username}`).set(c.auth).send(body);
    const missing = await patch({ password: 'brand-new-secret' });
    expectProblem(missing, 400, 'validation_failed');
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'body.currentPassword' })]);
    expectProblem(await patch({ password: 'brand-new-secret', currentPassword: 'not-the-password' }), 401, 'invalid_credentials');
    expectProblem(await patch({ currentPassword: c.password }), 400, 'validation_failed');
    // Nothing changed: the old password still logs in, the attempted ones do not.
    expect(await login(c.username, c.password)).toEqual(expect.any(String));
    expectProblem(await api('customers').post('/auth/login').send({ username: c.username, password: 'brand-new-secret' }), 401, 'invalid_credentials');
  });

  it('needs the current password from an admin changing their own too (a stolen admin token must not become the account)', async () => {
    const account = { username: unique('admin'), password: 'second-admin-password' };
    await startInstance('customers', { ADMIN_USERNAME: account.username, ADMIN_PASSWORD: account.password });
    const token = await login(account.username, account.password);
    const patch = (body: object) => api('customers').patch(`/customers/${account.username}`).set(bearer(token)).send(body);
    const missing = await patch({ password: 'taken-over-password' });
    expectProblem(missing, 400, 'validation_failed');
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'body.currentPassword' })]);
    expectProblem(await patch({ password: 'taken-over-password', currentPassword: 'not-the-password' }), 401, 'invalid_credentials');
    expect(await login(account.username, account.password)).toEqual(expect.any(String));
    expect((await patch({ password: 'a-new-admin-password', currentPassword: account.password })).status).toBe(200);
    expect(await login(account.username, 'a-new-admin-password')).toEqual(expect.any(String));
  });

  it('lets an admin set a password without the current one', async () => {
    const c = await newCustomer();
    await api('customers')
      .patch(`/customers/${c.username}`)
      .set((await admin()).auth)
      .send({ password: 'set-by-the-admin' })
      .expect(200);
    expect(await login(c.username, 'set-by-the-admin')).toEqual(expect.any(String));
  });

  it.each([
    ['balanceCents', 99_999],
    ['role', 'admin'],
    ['username', 'renamed'],
    ['id', 'x'],
  ])('cannot set %s', async (field, value) => {
    const c = await newCustomer();
    const res = await api('customers')
      .patch(`/customers/${c.username}`)
      .set(c.auth)
      .send({ [field]: value });
    expectProblem(res, 400, 'validation_failed');
    const stored = await api('customers').get(`/customers/${c.username}`).set(c.auth);
    expect(stored.body).toMatchObject({ balanceCents: 0, role: 'customer', username: c.username });
  });

  it('lets an admin update any customer', async () => {
    const c = await newCustomer();
    const res = await api('customers')
      .patch(`/customers/${c.username}`)
      .set((await admin()).auth)
      .send({ lastName: 'Changed' });
    expect(res.status).toBe(200);
    expect(res.body.lastName).toBe('Changed');
  });

  it("refuses to update another customer's profile", async () => {
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    expectProblem(await api('customers').patch(`/customers/${b.username}`).set(a.auth).send({ age: 1 }), 403, 'forbidden');
  });

  it('answers not_found for an unknown username (admin)', async () => {
    const res = await api('customers')
      .patch(`/customers/${unique('ghost')}`)
      .set((await admin()).auth)
      .send({ age: 1 });
    expectProblem(res, 404, 'not_found');
  });

  it('rejects invalid values', async () => {
    const c = await newCustomer();
    expectProblem(await api('customers').patch(`/customers/${c.username}`).set(c.auth).send({ gender: 'x' }), 400, 'validation_failed');
  });
});

describe('DELETE /customers/:username', () => {
  it('deletes the own account: it is gone and cannot log in', async () => {
    const c = await newCustomer({ balanceCents: 500 });
    const res = await api('customers').delete(`/customers/${c.username}`).set(c.auth);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(
      await api('customers')
        .get(`/customers/${c.username}`)
        .set((await admin()).auth),
      404,
      'not_found',
    );
    expectProblem(await api('customers').post('/auth/login').send({ username: c.username, password: c.password }), 401, 'invalid_credentials');
    expect(await sql('customers', 'SELECT 1 FROM ledger_entries WHERE customer_id = $1', [c.id])).toHaveLength(0);
  });

  it('lets an admin delete any customer', async () => {
    const c = await newCustomer();
    expect(
      (
        await api('customers')
          .delete(`/customers/${c.username}`)
          .set((await admin()).auth)
      ).status,
    ).toBe(204);
  });

  it("refuses to delete another customer's account", async () => {
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    expectProblem(await api('customers').delete(`/customers/${b.username}`).set(a.auth), 403, 'forbidden');
    expect((await api('customers').get(`/customers/${b.username}`).set(b.auth)).status).toBe(200);
  });

  it('answers not_found for an unknown username', async () => {
    expectProblem(
      await api('customers')
        .delete(`/customers/${unique('ghost')}`)
        .set((await admin()).auth),
      404,
      'not_found',
    );
  });

  it('requires a token', async () => {
    const c = await newCustomer();
    expectProblem(await api('customers').delete(`/customers/${c.username}`), 401, 'unauthorized');
  });
});

describe('GET /customers', () => {
  it('lists customers for an admin, filtered by q on username or name', async () => {
    const tag = unique('zq');
    const a = await newCustomer({ overrides: { firstName: `${tag}first` } });
    const b = await newCustomer({ overrides: { username: `${tag}user`.slice(0, 32) } });
    await newCustomer();
    const res = await api('customers')
      .get('/customers')
      .query({ q: tag.toUpperCase() })
      .set((await admin()).auth);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    expect(res.body.data.map((c: { id: string }) => c.id).sort()).toEqual([a.id, b.id].sort());
    expect(res.body).toMatchObject({ limit: 20, offset: 0 });
  });

  it('pages with limit and offset', async () => {
    const tag = unique('pg');
    for (let i = 0; i < 3; i++) await newCustomer({ overrides: { lastName: tag } });
    const auth = (await admin()).auth;
    const first = await api('customers').get('/customers').query({ q: tag, limit: 2 }).set(auth);
    const second = await api('customers').get('/customers').query({ q: tag, limit: 2, offset: 2 }).set(auth);
    expect(first.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(first.body.data).toHaveLength(2);
    expect(second.body.data).toHaveLength(1);
    const ids = [...first.body.data, ...second.body.data].map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('answers an empty page with 200', async () => {
    const res = await api('customers')
      .get('/customers')
      .query({ q: unique('none') })
      .set((await admin()).auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], total: 0, totalIsEstimate: false, limit: 20, offset: 0, nextCursor: null });
  });

  it.each([{ limit: 0 }, { limit: 101 }, { offset: -1 }, { limit: 'ten' }])('rejects %j', async (query) => {
    expectProblem(
      await api('customers')
        .get('/customers')
        .query(query)
        .set((await admin()).auth),
      400,
      'validation_failed',
    );
  });

  it('is for admins only', async () => {
    const c = await newCustomer();
    expectProblem(await api('customers').get('/customers').set(c.auth), 403, 'forbidden');
    expectProblem(await api('customers').get('/customers'), 401, 'unauthorized');
  });
});
