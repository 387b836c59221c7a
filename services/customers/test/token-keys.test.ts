import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { freePort, type ServiceProcess } from '@shop/devkit';
import { api, bearer, newCustomer, startInstance, system, type TestCustomer } from '@shop/testkit';

// The verifiers of inventory, sales and reviews hold customers' whole key set (packages/kit/src/jwks.ts): loaded
// before /ready, refreshed on a timer, kept when a fetch fails, and a token naming a kid they do not hold costs
// at most one shared fetch per 30 s. Before, each unknown kid spent the JWKS client's budget of 30 fetches a
// minute, and a valid token whose key was not cached yet got 401 until the budget came back.

/** A token naming a kid nobody published, as an attacker sends them by the thousand (no need to sign it). */
const randomKidToken = () => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = part({ alg: 'RS256', typ: 'JWT', kid: crypto.randomBytes(16).toString('base64url') });
  return `${header}.${part({ sub: crypto.randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 })}.${crypto.randomBytes(64).toString('base64url')}`;
};

/**
 * Sends `total` random-kid tokens to `base` (`concurrency` at a time), and after every 100 of them each valid
 * token once: answers the statuses of the random ones (all must be 401) and those of the valid ones.
 */
async function flood(base: string, path: string, valid: string[], total = 2_000, concurrency = 50) {
  const refused = new Map<number, number>();
  const validStatuses: number[] = [];
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      const n = ++sent;
      const res = await api(base).get(path).set(bearer(randomKidToken()));
      refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
      if (n % 100 === 0) for (const token of valid) validStatuses.push((await api(base).get(path).set(bearer(token))).status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { refused: Object.fromEntries(refused), validStatuses };
}

/**
 * A stand-in for customers in front of the real one, as the verifier sees it: it counts the JWKS fetches and can
 * refuse them (503), to show what a verifier does before it has keys and when a refresh fails.
 */
async function jwksProxy(target: string) {
  const state = { refuse: false, fetches: 0 };
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url?.startsWith('/.well-known/jwks.json')) {
        state.fetches++;
        if (state.refuse) return void res.writeHead(503).end();
      }
      const answer = await fetch(`${target}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
    })().catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

// 2,000 random-kid requests per service, on a machine the other test files share.
jest.setTimeout(240_000);

let proxy: Awaited<ReturnType<typeof jwksProxy>>;
beforeAll(async () => {
  proxy = await jwksProxy(system().urls.customers);
});
afterAll(() => proxy.close());

describe('token signing keys at the verifiers', () => {
  it('a fresh service is not ready before it holds the keys, and becomes ready once it can fetch them', async () => {
    proxy.state.refuse = true;
    const port = await freePort();
    const starting = startInstance('reviews', { PORT: String(port), JWKS_URL: `${proxy.url}/.well-known/jwks.json` });
    const ready = () =>
      fetch(`http://127.0.0.1:${port}/ready`).then(
        (res) => res.status,
        () => 0,
      );
    // Up and answering, but not ready: its keys could not be fetched (and are being asked for again).
    const refusedAt = proxy.state.fetches;
    for (let i = 0; i < 600 && !((await ready()) === 503 && proxy.state.fetches > refusedAt + 1); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ready()).toBe(503);
    proxy.state.refuse = false;
    await starting;
    expect(await ready()).toBe(200);
  });

  it('a fresh service answers a valid token 200 throughout thousands of random-kid tokens, with at most one fetch, kept keys when it fails', async () => {
    const [c, admin] = await Promise.all([newCustomer(), adminLogin()]);
    const sales = await startInstance('sales', { JWKS_URL: `${proxy.url}/.well-known/jwks.json` });
    const reviews = await startInstance('reviews', { JWKS_URL: `${proxy.url}/.well-known/jwks.json` });
    // From here customers' keys cannot be fetched again: every fetch a random kid causes fails.
    proxy.state.refuse = true;
    const before = proxy.state.fetches;
    try {
      const [atSales, atReviews] = await Promise.all([flood(sales.url, '/sales', [c.token]), flood(reviews.url, '/reviews', [admin])]);
      expect(atSales.refused).toEqual({ 401: 2_000 });
      expect(atReviews.refused).toEqual({ 401: 2_000 });
      expect(atSales.validStatuses).toEqual(Array(20).fill(200));
      expect(atReviews.validStatuses).toEqual(Array(20).fill(200));
      // Two processes, each at most one fetch for unknown kids per 30 s (and one refresh a minute): not one per kid.
      expect(proxy.state.fetches - before).toBeLessThanOrEqual(4);
    } finally {
      proxy.state.refuse = false;
    }
  });

  it('after a key rotation, tokens of the old and of the new key answer 200 throughout a flood of random kids', async () => {
    const c: TestCustomer = await newCustomer();
    const oldPublic = crypto.createPublicKey(system().env.customers.JWT_PRIVATE_KEY!).export({ format: 'pem', type: 'spki' }).toString();
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rotated: ServiceProcess = await startInstance('customers', {
      JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      JWT_PREVIOUS_PUBLIC_KEYS: oldPublic,
    });
    const inventory = await startInstance('inventory', { JWKS_URL: `${rotated.url}/.well-known/jwks.json` });
    const fresh = await api(rotated.url).post('/auth/login').send({ username: c.username, password: c.password });
    expect(jwt.decode(fresh.body.accessToken, { complete: true })!.header.kid).not.toBe(jwt.decode(c.token, { complete: true })!.header.kid);
    // An optional-access read: a token sent must verify (401 if not), and a customer's is accepted.
    const { refused, validStatuses } = await flood(inventory.url, '/items?limit=1', [c.token, fresh.body.accessToken]);
    expect(refused).toEqual({ 401: 2_000 });
    expect(validStatuses).toEqual(Array(40).fill(200));
  });
});

async function adminLogin(): Promise<string> {
  const res = await api('customers').post('/auth/login').send(system().admin);
  expect(res.status).toBe(200);
  return res.body.accessToken as string;
}
