import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/kit/src/tokens';
import { sql, system } from './context';
import { api, bearer } from './http';

let counter = 0;
/** A name no other test (or run) uses: tests never depend on global row counts. */
export const unique = (prefix = 'u') => `${prefix}${process.pid.toString(36)}${(counter++).toString(36)}${crypto.randomBytes(3).toString('hex')}`.slice(0, 32);

export interface TestCustomer {
  id: string;
  username: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

export function customerBody(overrides: Record<string, unknown> = {}) {
  return {
    username: unique('c'),
    password: 'plum-orbit-canvas-7',
    firstName: 'Test',
    lastName: 'Customer',
    age: 33,
    address: '1 Test Street',
    gender: 'other',
    maritalStatus: 'single',
    ...overrides,
  };
}

export async function login(username: string, password: string): Promise<string> {
  const res = await api('customers').post('/auth/login').send({ username, password });
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken as string;
}

/** Registers a customer (optionally with money in the wallet) and logs them in. */
export async function newCustomer(options: { balanceCents?: number; overrides?: Record<string, unknown> } = {}): Promise<TestCustomer> {
  const body = customerBody(options.overrides);
  const res = await api('customers').post('/customers').send(body);
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  const token = await login(body.username, body.password);
  const customer = { id: res.body.id, username: body.username, password: body.password, token, auth: bearer(token) };
  if (options.balanceCents) {
    const deposit = await api('customers')
      .post(`/customers/${customer.username}/wallet/deposits`)
      .set(customer.auth)
      .send({ amountCents: options.balanceCents });
    if (deposit.status !== 201) throw new Error(`deposit failed: ${deposit.status}`);
  }
  return customer;
}

/** The session id (`sid` claim) of an access token: what sales sends with a wallet debit. */
export const sessionIdOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

let adminToken: Promise<string> | undefined;
export async function admin() {
  adminToken ??= login(system().admin.username, system().admin.password);
  const token = await adminToken;
  sampleToken = token;
  return { token, auth: bearer(token) };
}

let sampleToken: string | undefined;
/** Remember one real token so forged ones can borrow its key id. */
const realToken = () => {
  if (!sampleToken) throw new Error('call admin() before forgedTokens()');
  return sampleToken;
};

/** Tokens no one should accept: signed by another key, expired, or unsigned (`alg: none`). */
export function forgedTokens(claims: { sub: string; username: string; role: 'customer' | 'admin' }) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ ...claims, iat: Math.floor(Date.now() / 1000) })).toString('base64url');
  return {
    // Right key, issuer, audience and session: only the expiry (past the 30 s skew) is wrong.
    expired: jwt.sign(
      { ...claims, sid: (jwt.decode(realToken()) as jwt.JwtPayload).sid, exp: Math.floor(Date.now() / 1000) - 60 },
      system().env.customers.JWT_PRIVATE_KEY!,
      {
        algorithm: 'RS256',
        keyid: jwt.decode(realToken(), { complete: true })?.header.kid,
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
      },
    ),
    otherKey: jwt.sign(claims, privateKey, { algorithm: 'RS256', keyid: 'someone-else', expiresIn: 600 }),
    algNone: `${header}.${payload}.`,
    garbage: 'not-a-jwt',
  };
}

export interface ItemBody {
  name: string;
  category: 'food' | 'clothes' | 'accessories' | 'electronics';
  priceCents: number;
  description?: string;
  stockCount: number;
}

export const itemBody = (overrides: Partial<ItemBody> = {}): ItemBody => ({
  name: unique('item-'),
  category: 'food',
  priceCents: 1999,
  description: 'A test item',
  stockCount: 10,
  ...overrides,
});

export interface TestItem {
  id: string;
  name: string;
  priceCents: number;
  stockCount: number;
  [key: string]: unknown;
}

/** Creates an item through inventory's API (as admin) and returns its JSON. */
export async function newItem(overrides: Partial<ItemBody> = {}): Promise<TestItem> {
  const res = await api('inventory')
    .post('/items')
    .set((await admin()).auth)
    .send(itemBody(overrides));
  if (res.status !== 201) throw new Error(`item creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TestItem;
}

/** Deletes an item through inventory's API (as admin); throws unless it answers 204. */
export async function deleteItem(itemId: string): Promise<void> {
  const res = await api('inventory')
    .delete(`/items/${itemId}`)
    .set((await admin()).auth);
  if (res.status !== 204) throw new Error(`item deletion failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The stock count as stored in inventory's database (not as an answer says). */
export async function stockOf(itemId: string): Promise<number> {
  const [row] = await sql<{ stock_count: number }>('inventory', 'SELECT stock_count FROM items WHERE id = $1', [itemId]);
  if (!row) throw new Error(`no item ${itemId}`);
  return row.stock_count;
}
