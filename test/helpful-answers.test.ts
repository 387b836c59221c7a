// Contract v4 (Conventions, Auth): answers a newcomer can act on. A purchase body that is neither form says what the
// two forms are; a missing field says "required"; a 401 carries RFC 6750's challenge, and for an expired token
// says that it expired and when, so a client knows to refresh rather than to ask for a password again.
import { admin, api, customerBody, expectProblem, forgedTokens, newCustomer, bearer } from '@shop/testkit';

const SERVICES = ['customers', 'inventory', 'sales', 'reviews'] as const;
/** A route of each service that needs a signed-in caller (admin for all but sales). */
const PROTECTED = { customers: '/customers', inventory: '/items?lowStock=true', sales: '/sales', reviews: '/reviews' } as const;

describe('POST /sales with a body that is neither form', () => {
  it.each([
    ['another field', { items: [{ itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b' }] }],
    ['both forms', { itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b', lines: [{ itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b' }] }],
    ['an array', []],
    ['an empty object', {}],
  ])('%s: 400 naming the two forms', async (_, body) => {
    const c = await newCustomer();
    const res = await api('sales').post('/sales').set(c.auth).send(body);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ path: 'body', message: expect.stringContaining('{"itemId": "<uuid>", "quantity": 1} (one item) or {"lines": [') }]);
  });

  it('a body of one form that is wrong inside keeps that form’s own error', async () => {
    const c = await newCustomer();
    const res = await api('sales')
      .post('/sales')
      .set(c.auth)
      .send({ lines: [{ itemId: 'not-a-uuid' }] });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ path: 'body.lines.0.itemId', message: expect.stringMatching(/uuid/i) }]);
  });
});

describe('a missing field', () => {
  it('reads "required" in a registration', async () => {
    const { username: _, ...body } = customerBody();
    const res = await api('customers').post('/customers').send(body);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ path: 'body.username', message: 'required' }]);
  });

  it.each(SERVICES)('%s: reads "required" (POST /webhooks without url and events)', async (service) => {
    const { auth } = await admin();
    const res = await api(service).post('/webhooks').set(auth).send({});
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.url', message: 'required' },
        { path: 'body.events', message: 'required' },
      ]),
    );
  });
});

describe('401 answers carry WWW-Authenticate (RFC 6750)', () => {
  it.each(SERVICES)('%s: plain Bearer without a token, invalid_token with a bad one, and when an expired one expired', async (service) => {
    const { token } = await admin();
    const path = PROTECTED[service];
    const none = await api(service).get(path);
    expectProblem(none, 401, 'unauthorized');
    expect(none.headers['www-authenticate']).toBe('Bearer');

    const garbage = await api(service).get(path).set(bearer('not-a-jwt'));
    expectProblem(garbage, 401, 'unauthorized');
    expect(garbage.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);

    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; username: string };
    const expired = forgedTokens({ sub: claims.sub, username: claims.username, role: 'admin' }).expired;
    const exp = (JSON.parse(Buffer.from(expired.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    const res = await api(service).get(path).set(bearer(expired));
    expectProblem(res, 401, 'unauthorized');
    const when = new Date(exp * 1000).toISOString();
    expect(res.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="The access token expired at ${when}"`);
    expect(res.body.detail).toContain(`expired at ${when}`);
  });
});
