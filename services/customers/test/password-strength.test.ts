// Passwords too easy to guess (issue 22, item 17; contract v4): registration and every password change answer
// 400 `weak_password`, naming body.password, and change nothing. The rule is zxcvbn's score (at least 3 of 4)
// with its common-password dictionary and the account's own username and names.
import { admin, api, customerBody, expectProblem, login, newCustomer, sql, unique } from '@shop/testkit';

const WEAK = ['12345678', 'password1', 'Passw0rd!', 'iloveyou123', 'qwertyuiop', 'aaaaaaaaaaaa', 'Summer2024!'];

const accountExists = async (username: string) => (await sql('customers', 'SELECT 1 FROM customers WHERE username_key = lower($1)', [username])).length > 0;

describe('POST /customers: password strength', () => {
  it.each(WEAK)('refuses %j with 400 weak_password and creates nothing', async (password) => {
    const body = customerBody({ password });
    const res = await api('customers').post('/customers').send(body);
    expectProblem(res, 400, 'weak_password');
    expect(res.body.errors).toEqual([
      { path: 'body.password', message: expect.stringMatching(/^too easy to guess \(strength [0-2] of 4, at least 3 needed\): /) },
    ]);
    expect(await accountExists(body.username)).toBe(false);
  });

  it("refuses a password made of the customer's own username or name", async () => {
    const username = unique('zebedee');
    for (const password of [`${username}1`, 'Wilhelmina1990', 'Fothergill2024']) {
      const res = await api('customers')
        .post('/customers')
        .send(customerBody({ username, password, firstName: 'Wilhelmina', lastName: 'Fothergill' }));
      expectProblem(res, 400, 'weak_password');
    }
    expect(await accountExists(username)).toBe(false);
  });

  it('accepts a decent passphrase, and one of the full 72 bytes', async () => {
    for (const password of ['correct horse battery staple', 'plum-orbit-canvas-7', `${'mauve-tundra-quill-'.repeat(3)}0123456789abcde`]) {
      expect(Buffer.byteLength(password)).toBeLessThanOrEqual(72);
      const body = customerBody({ password });
      const res = await api('customers').post('/customers').send(body);
      expect({ password, status: res.status }).toEqual({ password, status: 201 });
      expect(await login(body.username, password)).toEqual(expect.any(String));
    }
  });

  it('keeps the other password rules: length and bytes are validation_failed, before strength', async () => {
    expectProblem(
      await api('customers')
        .post('/customers')
        .send(customerBody({ password: '1234567' })),
      400,
      'validation_failed',
    );
    expectProblem(
      await api('customers')
        .post('/customers')
        .send(customerBody({ password: 'é'.repeat(37) })),
      400,
      'validation_failed',
    );
  });
});

describe('PATCH /customers/:username: password strength', () => {
  it('refuses a weak new password from the customer (with the right current one) and keeps the old password', async () => {
    const c = await newCustomer();
    for (const password of ['12345678', 'password1']) {
      const res = await api('customers').patch(`/customers/${c.username}`).set(c.auth).send({ password, currentPassword: c.password });
      expectProblem(res, 400, 'weak_password');
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.password' })]);
    }
    // Nothing changed and no session ended: the token still works, the old password still logs in.
    expect((await api('customers').get(`/customers/${c.username}`).set(c.auth)).status).toBe(200);
    expect(await login(c.username, c.password)).toEqual(expect.any(String));
    expectProblem(await api('customers').post('/auth/login').send({ username: c.username, password: 'password1' }), 401, 'invalid_credentials');
    // A decent one is taken.
    await api('customers').patch(`/customers/${c.username}`).set(c.auth).send({ password: 'saffron-glacier-tempo', currentPassword: c.password }).expect(200);
    expect(await login(c.username, 'saffron-glacier-tempo')).toEqual(expect.any(String));
  });

  it("refuses a weak password that an admin sets for a customer, and one built from the customer's name", async () => {
    const c = await newCustomer({ overrides: { firstName: 'Wilhelmina' } });
    const { auth } = await admin();
    expectProblem(await api('customers').patch(`/customers/${c.username}`).set(auth).send({ password: '12345678' }), 400, 'weak_password');
    expectProblem(await api('customers').patch(`/customers/${c.username}`).set(auth).send({ password: 'Wilhelmina2024' }), 400, 'weak_password');
    expect(await login(c.username, c.password)).toEqual(expect.any(String));
  });
});
