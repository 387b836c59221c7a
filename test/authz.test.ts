// Authorization matrix: every route of the contract × every kind of caller, expected answers written from the
// public contract's "who" column, recorded in each row's `who` (not from the services' OpenAPI documents: the
// point is to hold the implementation to the contract). Each row builds real data so the allowed callers really succeed.
import { admin, api, forgedTokens, serviceCredential, sessionIdOf, system, unique, customerBody, bearer } from '@shop/testkit';
import { World, fixtureReceiver, fundAdmin } from './support/fixtures';
import { SERVICE_NAMES, type Service } from './support/contract';
import { fetchAllRoutes } from './support/openapi';

// `sales` and `reviews` are the two calling services, each with the credential it holds for the route's service (or,
// where it holds none, one it holds for another: what a compromised service would try).
const CALLERS = ['anonymous', 'owner', 'other', 'admin', 'expired', 'otherKey', 'algNone', 'garbage', 'sales', 'reviews', 'inventory'] as const;
const SERVICE_CALLERS: Caller[] = ['sales', 'reviews', 'inventory'];
type Caller = (typeof CALLERS)[number];
const BAD_TOKENS: Caller[] = ['expired', 'otherKey', 'algNone', 'garbage'];

type Expected = Record<Caller, number[]>;
interface Req {
  service: Service;
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  body?: unknown;
  query?: Record<string, string>;
}
interface Row {
  route: string;
  who: string;
  request: (w: World) => Req | Promise<Req>;
  expect: Expected;
  /** New data for every caller (the request destroys or changes what it touches). */
  fresh?: boolean;
  /** Extra check of an allowed answer (e.g. nothing of another customer leaks). */
  check?: (caller: Caller, body: any, w: World) => Promise<string | undefined>;
}

const table = (f: (c: Caller) => number | number[]) => Object.fromEntries(CALLERS.map((c) => [c, [f(c)].flat()])) as Expected;
/** `anyone`: every caller gets `ok`; a bad token may be ignored or refused (the contract leaves that open). */
const anyone = (ok: number) => table((c) => (BAD_TOKENS.includes(c) || SERVICE_CALLERS.includes(c) ? [ok, 401] : ok));
/** Signed-in callers in `allowed` get `ok`, the other signed-in ones `denied`; no or a bad token → 401. */
const signedIn = (ok: number, allowed: Caller[], denied = 403) =>
  table((c) => (c === 'owner' || c === 'other' || c === 'admin' ? (allowed.includes(c) ? ok : denied) : 401));
/**
 * /internal/ on `service`: only the `allowed` calling services; another service that holds a credential for `service`
 * gets 403, one that holds none (its credential for elsewhere is unknown here) 401; user tokens 403, nothing or garbage 401.
 */
const internal = (service: Service, ok: number, allowed: Caller[]) =>
  table((c) => {
    if (allowed.includes(c)) return ok;
    if (SERVICE_CALLERS.includes(c)) return serviceCredential(c, service) ? 403 : 401;
    return c === 'owner' || c === 'other' || c === 'admin' ? 403 : 401;
  });

const rows: Row[] = [
  // customers
  {
    route: 'POST /customers',
    who: 'anyone',
    request: () => ({ service: 'customers', method: 'post', path: '/customers', body: customerBody() }),
    expect: anyone(201),
  },
  {
    route: 'POST /auth/login',
    who: 'anyone',
    request: async (w) => {
      const o = await w.owner();
      return { service: 'customers', method: 'post', path: '/auth/login', body: { username: o.username, password: o.password } };
    },
    expect: anyone(200),
  },
  { route: 'GET /customers', who: 'admin', request: () => ({ service: 'customers', method: 'get', path: '/customers' }), expect: signedIn(200, ['admin']) },
  {
    route: 'GET /customers/:username',
    who: 'self, admin',
    request: async (w) => ({ service: 'customers', method: 'get', path: `/customers/${(await w.owner()).username}` }),
    expect: signedIn(200, ['owner', 'admin']),
  },
  {
    route: 'PATCH /customers/:username',
    who: 'self, admin',
    request: async (w) => ({ service: 'customers', method: 'patch', path: `/customers/${(await w.owner()).username}`, body: { firstName: 'Changed' } }),
    expect: signedIn(200, ['owner', 'admin']),
  },
  {
    route: 'DELETE /customers/:username',
    who: 'self, admin',
    fresh: true,
    request: async (w) => ({ service: 'customers', method: 'delete', path: `/customers/${(await w.owner()).username}` }),
    expect: signedIn(204, ['owner', 'admin']),
  },
  {
    route: 'POST /auth/refresh',
    who: 'anyone holding a refresh token',
    request: async (w) => ({ service: 'customers', method: 'post', path: '/auth/refresh', body: { refreshToken: (await w.newSession()).refreshToken } }),
    expect: anyone(200),
  },
  {
    route: 'POST /auth/logout',
    who: 'anyone holding a refresh token',
    request: async (w) => ({ service: 'customers', method: 'post', path: '/auth/logout', body: { refreshToken: (await w.newSession()).refreshToken } }),
    expect: anyone(204),
  },
  {
    route: 'GET /customers/:username/sessions',
    who: 'self, admin',
    request: async (w) => ({ service: 'customers', method: 'get', path: `/customers/${(await w.owner()).username}/sessions` }),
    expect: signedIn(200, ['owner', 'admin']),
  },
  {
    route: 'DELETE /customers/:username/sessions/:id',
    who: 'self, admin',
    request: async (w) => ({
      service: 'customers',
      method: 'delete',
      path: `/customers/${(await w.owner()).username}/sessions/${(await w.newSession()).sessionId}`,
    }),
    expect: signedIn(204, ['owner', 'admin']),
  },
  {
    route: 'DELETE /customers/:username/sessions',
    who: 'self, admin',
    fresh: true,
    request: async (w) => ({ service: 'customers', method: 'delete', path: `/customers/${(await w.owner()).username}/sessions` }),
    expect: signedIn(204, ['owner', 'admin']),
  },
  {
    route: 'POST /customers/:username/wallet/deposits',
    who: 'self, admin',
    request: async (w) => ({
      service: 'customers',
      method: 'post',
      path: `/customers/${(await w.owner()).username}/wallet/deposits`,
      body: { amountCents: 100 },
    }),
    expect: signedIn(201, ['owner', 'admin']),
  },
  {
    route: 'POST /customers/:username/wallet/adjustments',
    who: 'admin',
    request: async (w) => ({
      service: 'customers',
      method: 'post',
      path: `/customers/${(await w.owner()).username}/wallet/adjustments`,
      body: { amountCents: 100, reason: 'authz' },
    }),
    expect: signedIn(201, ['admin']),
  },
  {
    route: 'GET /customers/:username/wallet/transactions',
    who: 'self, admin',
    request: async (w) => ({ service: 'customers', method: 'get', path: `/customers/${(await w.owner()).username}/wallet/transactions` }),
    expect: signedIn(200, ['owner', 'admin']),
  },
  {
    // Not in the contract (customers added it): held to the same rule as the list it belongs to.
    route: 'GET /customers/:username/wallet/transactions/:id',
    who: 'self, admin (not in the contract; as the list)',
    request: async (w) => ({
      service: 'customers',
      method: 'get',
      path: `/customers/${(await w.owner()).username}/wallet/transactions/${(await w.transaction()).id}`,
    }),
    expect: signedIn(200, ['owner', 'admin']),
  },
  {
    route: 'POST /internal/wallet/debits',
    who: 'services',
    request: async (w) => ({
      service: 'customers',
      method: 'post',
      path: '/internal/wallet/debits',
      body: { customerId: (await w.owner()).id, amountCents: 1, reference: `authz-${unique()}`, sessionId: sessionIdOf((await w.owner()).token) },
    }),
    expect: internal('customers', 201, ['sales']),
  },
  {
    route: 'GET /internal/customers/:id/balance',
    who: 'services',
    request: async (w) => ({ service: 'customers', method: 'get', path: `/internal/customers/${(await w.owner()).id}/balance` }),
    expect: internal('customers', 200, ['sales']),
  },
  {
    route: 'POST /internal/wallet/credits',
    who: 'services',
    request: async (w) => ({
      service: 'customers',
      method: 'post',
      path: '/internal/wallet/credits',
      body: { customerId: (await w.owner()).id, amountCents: 1, reference: `authz-${unique()}` },
    }),
    expect: internal('customers', 201, ['sales']),
  },
  {
    route: 'POST /internal/wallet/refunds',
    who: 'services',
    request: async (w) => ({
      service: 'customers',
      method: 'post',
      path: '/internal/wallet/refunds',
      body: { customerId: (await w.owner()).id, reference: (await w.debit()).reference },
    }),
    expect: internal('customers', 200, ['sales']),
  },
  {
    route: 'GET /internal/customers/:customerId/account',
    who: 'services',
    request: async (w) => ({ service: 'customers', method: 'get', path: `/internal/customers/${(await w.owner()).id}/account` }),
    expect: internal('customers', 200, ['reviews']),
  },
  {
    route: 'GET /internal/sessions/ended',
    who: 'services',
    request: () => ({ service: 'customers', method: 'get', path: '/internal/sessions/ended' }),
    expect: internal('customers', 200, ['sales', 'inventory', 'reviews']),
  },
  // inventory
  {
    route: 'POST /items',
    who: 'admin',
    request: () => ({
      service: 'inventory',
      method: 'post',
      path: '/items',
      body: { name: unique('authz-'), category: 'food', priceCents: 100, stockCount: 5 },
    }),
    expect: signedIn(201, ['admin']),
  },
  { route: 'GET /items', who: 'anyone', request: () => ({ service: 'inventory', method: 'get', path: '/items' }), expect: anyone(200) },
  {
    route: 'GET /items/:id',
    who: 'anyone',
    request: async (w) => ({ service: 'inventory', method: 'get', path: `/items/${(await w.item()).id}` }),
    expect: anyone(200),
  },
  {
    route: 'PATCH /items/:id',
    who: 'admin',
    request: async (w) => ({ service: 'inventory', method: 'patch', path: `/items/${(await w.item()).id}`, body: { description: 'changed' } }),
    expect: signedIn(200, ['admin']),
  },
  {
    route: 'POST /items/:id/stock-adjustments',
    who: 'admin',
    request: async (w) => ({
      service: 'inventory',
      method: 'post',
      path: `/items/${(await w.item()).id}/stock-adjustments`,
      body: { delta: 1, reason: 'authz' },
    }),
    expect: signedIn(200, ['admin']),
  },
  {
    route: 'GET /items/:id/stock-movements',
    who: 'admin',
    request: async (w) => ({ service: 'inventory', method: 'get', path: `/items/${(await w.item()).id}/stock-movements` }),
    expect: signedIn(200, ['admin']),
  },
  {
    route: 'GET /items?lowStock=true',
    who: 'admin',
    request: () => ({ service: 'inventory', method: 'get', path: '/items', query: { lowStock: 'true' } }),
    expect: signedIn(200, ['admin']),
  },
  {
    route: 'DELETE /items/:id',
    who: 'admin',
    fresh: true,
    request: async (w) => ({ service: 'inventory', method: 'delete', path: `/items/${(await w.item()).id}` }),
    expect: signedIn(204, ['admin']),
  },
  {
    route: 'POST /internal/stock/reservations',
    who: 'services',
    request: async (w) => ({
      service: 'inventory',
      method: 'post',
      path: '/internal/stock/reservations',
      body: { reference: `authz-${unique()}`, lines: [{ itemId: (await w.item()).id, quantity: 1 }] },
    }),
    expect: internal('inventory', 201, ['sales']),
  },
  {
    route: 'POST /internal/stock/returns',
    who: 'services',
    request: async (w) => ({
      service: 'inventory',
      method: 'post',
      path: '/internal/stock/returns',
      body: { reference: `authz-${unique()}`, lines: [{ itemId: (await w.item()).id, quantity: 1 }] },
    }),
    expect: internal('inventory', 201, ['sales']),
  },
  {
    route: 'POST /internal/stock/releases',
    who: 'services',
    request: async (w) => ({ service: 'inventory', method: 'post', path: '/internal/stock/releases', body: { reference: (await w.reservation()).reference } }),
    expect: internal('inventory', 200, ['sales']),
  },
  // the books audit's reads (sales runs the audit) and its one repair at customers
  {
    route: 'POST /internal/books/ledger-lookups',
    who: 'services',
    request: async (w) => ({
      service: 'customers',
      method: 'post',
      path: '/internal/books/ledger-lookups',
      body: { references: [(await w.debit()).reference], customerIds: [(await w.owner()).id] },
    }),
    expect: internal('customers', 200, ['sales']),
  },
  {
    route: 'GET /internal/books/ledger',
    who: 'services',
    request: () => ({ service: 'customers', method: 'get', path: '/internal/books/ledger', query: { limit: '5' } }),
    expect: internal('customers', 200, ['sales']),
  },
  {
    route: 'GET /internal/books/wallets',
    who: 'services',
    request: () => ({ service: 'customers', method: 'get', path: '/internal/books/wallets', query: { limit: '5' } }),
    expect: internal('customers', 200, ['sales']),
  },
  {
    route: 'POST /internal/books/debits',
    who: 'services',
    request: async (w) => ({
      service: 'customers',
      method: 'post',
      path: '/internal/books/debits',
      body: { customerId: (await w.owner()).id, amountCents: 1, reference: `authz-${unique()}` },
    }),
    expect: internal('customers', 201, ['sales']),
  },
  {
    route: 'POST /internal/books/movement-lookups',
    who: 'services',
    request: async (w) => ({
      service: 'inventory',
      method: 'post',
      path: '/internal/books/movement-lookups',
      body: { references: [(await w.reservation()).reference] },
    }),
    expect: internal('inventory', 200, ['sales']),
  },
  {
    route: 'GET /internal/books/movements',
    who: 'services',
    request: () => ({ service: 'inventory', method: 'get', path: '/internal/books/movements', query: { limit: '5' } }),
    expect: internal('inventory', 200, ['sales']),
  },
  {
    route: 'GET /internal/books/items',
    who: 'services',
    request: () => ({ service: 'inventory', method: 'get', path: '/internal/books/items', query: { limit: '5' } }),
    expect: internal('inventory', 200, ['sales']),
  },
  // sales
  { route: 'GET /goods', who: 'anyone', request: () => ({ service: 'sales', method: 'get', path: '/goods' }), expect: anyone(200) },
  {
    route: 'GET /goods/:id',
    who: 'anyone',
    request: async (w) => ({ service: 'sales', method: 'get', path: `/goods/${(await w.item()).id}` }),
    expect: anyone(200),
  },
  {
    route: 'POST /sales',
    who: 'customer, admin (buys for self)',
    request: async (w) => ({ service: 'sales', method: 'post', path: '/sales', body: { itemId: (await w.item()).id } }),
    expect: signedIn(201, ['owner', 'other', 'admin']),
  },
  {
    route: 'GET /sales',
    who: 'customer: own; admin: all',
    // Scoped to the millisecond the fixture sale was made: other files buy in parallel, and an unscoped first page
    // of "all" (the admin's) could be filled with their newer sales before it.
    request: async (w) => {
      const { createdAt } = await w.sale();
      const to = new Date(Date.parse(createdAt) + 1).toISOString();
      return { service: 'sales', method: 'get', path: '/sales', query: { from: createdAt, to } };
    },
    expect: signedIn(200, ['owner', 'other', 'admin']),
    check: async (caller, body, w) => {
      const owner = await w.owner();
      if (caller === 'other' && body.data.some((s: { customerId: string }) => s.customerId === owner.id)) return "another customer's sale is listed";
      const sale = await w.sale();
      if ((caller === 'owner' || caller === 'admin') && !body.data.some((s: { id: string }) => s.id === sale.id)) return 'the sale is missing from the list';
      return undefined;
    },
  },
  {
    route: 'GET /sales?username=',
    who: 'admin filter; a customer may not read another',
    request: async (w) => ({ service: 'sales', method: 'get', path: '/sales', query: { username: (await w.owner()).username } }),
    // A customer asking for someone else's sales is refused (or, at least, shown none of them).
    expect: { ...signedIn(200, ['owner', 'admin']), other: [403, 200] },
    check: async (caller, body, w) => {
      const owner = await w.owner();
      if (caller === 'other' && body.data?.some((s: { customerId: string }) => s.customerId === owner.id))
        return "another customer's sales leak through ?username=";
      return undefined;
    },
  },
  {
    route: 'GET /sales/:id',
    who: 'owner, admin (404 to others)',
    request: async (w) => ({ service: 'sales', method: 'get', path: `/sales/${(await w.sale()).id}` }),
    expect: signedIn(200, ['owner', 'admin'], 404),
  },
  {
    route: 'POST /sales/:id/refunds',
    who: 'owner (within the refund window), admin (404 to others)',
    fresh: true,
    request: async (w) => ({ service: 'sales', method: 'post', path: `/sales/${(await w.sale()).id}/refunds`, body: { reason: 'authz' } }),
    expect: signedIn(201, ['owner', 'admin'], 404),
  },
  {
    route: 'GET /sales/:id/refunds',
    who: 'owner, admin (404 to others)',
    request: async (w) => ({ service: 'sales', method: 'get', path: `/sales/${(await w.sale()).id}/refunds` }),
    expect: signedIn(200, ['owner', 'admin'], 404),
  },
  {
    route: 'GET /internal/purchases',
    who: 'services',
    request: async (w) => ({
      service: 'sales',
      method: 'get',
      path: '/internal/purchases',
      query: { customerId: (await w.owner()).id, itemId: (await w.item()).id },
    }),
    expect: internal('sales', 200, ['reviews']),
  },
  {
    route: 'GET /internal/events',
    who: 'services',
    request: () => ({ service: 'sales', method: 'get', path: '/internal/events', query: { type: 'refund.completed', limit: '1' } }),
    expect: internal('sales', 200, ['reviews']),
  },
  {
    route: 'GET /internal/customers/:customerId/spend',
    who: 'services',
    request: async (w) => ({ service: 'sales', method: 'get', path: `/internal/customers/${(await w.owner()).id}/spend` }),
    expect: internal('sales', 200, ['reviews']),
  },
  // reviews
  {
    route: 'POST /reviews',
    who: 'customer',
    request: async (w) => ({ service: 'reviews', method: 'post', path: '/reviews', body: { itemId: (await w.item()).id, rating: 5, comment: 'great' } }),
    expect: signedIn(201, ['owner', 'other']),
  },
  {
    route: 'PATCH /reviews/:id',
    who: 'author',
    fresh: true,
    request: async (w) => ({ service: 'reviews', method: 'patch', path: `/reviews/${(await w.approvedReview()).id}`, body: { rating: 2 } }),
    expect: signedIn(200, ['owner']),
  },
  {
    route: 'DELETE /reviews/:id',
    who: 'author, admin',
    fresh: true,
    request: async (w) => ({ service: 'reviews', method: 'delete', path: `/reviews/${(await w.approvedReview()).id}` }),
    expect: signedIn(204, ['owner', 'admin']),
  },
  {
    route: 'GET /reviews/:id (approved)',
    who: 'anyone',
    request: async (w) => ({ service: 'reviews', method: 'get', path: `/reviews/${(await w.approvedReview()).id}` }),
    expect: anyone(200),
  },
  {
    route: 'GET /reviews/:id (pending)',
    who: 'author, admin; 404 to the rest',
    request: async (w) => ({ service: 'reviews', method: 'get', path: `/reviews/${(await w.pendingReview()).id}` }),
    expect: table((c) => (c === 'owner' || c === 'admin' ? 200 : c === 'anonymous' || c === 'other' ? 404 : [401, 404])),
  },
  {
    route: 'GET /items/:itemId/reviews',
    who: 'anyone',
    request: async (w) => ({ service: 'reviews', method: 'get', path: `/items/${(await w.approvedItem()).id}/reviews` }),
    expect: anyone(200),
  },
  {
    route: 'GET /customers/:username/reviews',
    who: 'anyone (approved); self, admin (all)',
    request: async (w) => {
      await w.approvedReview();
      await w.pendingReview();
      return { service: 'reviews', method: 'get', path: `/customers/${(await w.owner()).username}/reviews` };
    },
    expect: anyone(200),
    check: async (caller, body, w) => {
      const pending = (await w.pendingReview()).id;
      const seesPending = body.data.some((r: { id: string }) => r.id === pending);
      if ((caller === 'owner' || caller === 'admin') && !seesPending) return 'self/admin should see the pending review';
      if (caller !== 'owner' && caller !== 'admin' && seesPending) return 'a pending review is shown to someone other than its author or an admin';
      return undefined;
    },
  },
  {
    route: 'GET /reviews?status=',
    who: 'admin',
    request: () => ({ service: 'reviews', method: 'get', path: '/reviews', query: { status: 'pending' } }),
    expect: signedIn(200, ['admin']),
  },
  {
    route: 'POST /reviews/:id/moderation',
    who: 'admin',
    fresh: true,
    request: async (w) => ({ service: 'reviews', method: 'post', path: `/reviews/${(await w.pendingReview()).id}/moderation`, body: { action: 'approve' } }),
    expect: signedIn(200, ['admin']),
  },
  {
    route: 'POST /reviews/:id/reports',
    who: 'customer other than the author',
    request: async (w) => ({ service: 'reviews', method: 'post', path: `/reviews/${(await w.approvedReview()).id}/reports`, body: { reason: 'spam' } }),
    expect: signedIn(201, ['other']),
  },
  {
    // Not in the contract (reviews added it for moderators): admin only.
    route: 'GET /reviews/:id/reports',
    who: 'admin (not in the contract)',
    request: async (w) => ({ service: 'reviews', method: 'get', path: `/reviews/${(await w.approvedReview()).id}/reports` }),
    expect: signedIn(200, ['admin']),
  },
  // webhooks: the same routes on every service, admin only
  ...SERVICE_NAMES.flatMap((service): Row[] => [
    {
      route: `POST /webhooks (${service})`,
      who: 'admin',
      request: async () => ({ service, method: 'post', path: '/webhooks', body: { url: (await fixtureReceiver()).url, events: ['*'] } }),
      expect: signedIn(201, ['admin']),
      check: async (_caller, body) => {
        await api(service)
          .delete(`/webhooks/${body.id}`)
          .set((await admin()).auth);
        return body.secret?.startsWith('whsec_') ? undefined : 'no secret in the answer';
      },
    },
    { route: `GET /webhooks (${service})`, who: 'admin', request: () => ({ service, method: 'get', path: '/webhooks' }), expect: signedIn(200, ['admin']) },
    {
      route: `GET /webhooks/:id (${service})`,
      who: 'admin',
      request: async (w) => ({ service, method: 'get', path: `/webhooks/${(await w.subscription(service)).id}` }),
      expect: signedIn(200, ['admin']),
    },
    {
      route: `PATCH /webhooks/:id (${service})`,
      who: 'admin',
      request: async (w) => ({ service, method: 'patch', path: `/webhooks/${(await w.subscription(service)).id}`, body: { description: 'changed' } }),
      expect: signedIn(200, ['admin']),
    },
    {
      route: `DELETE /webhooks/:id (${service})`,
      who: 'admin',
      fresh: true,
      request: async (w) => ({ service, method: 'delete', path: `/webhooks/${(await w.subscription(service)).id}` }),
      expect: signedIn(204, ['admin']),
    },
    {
      route: `GET /webhooks/:id/deliveries (${service})`,
      who: 'admin',
      request: async (w) => ({ service, method: 'get', path: `/webhooks/${(await w.subscription(service)).id}/deliveries` }),
      expect: signedIn(200, ['admin']),
    },
    {
      route: `POST /webhooks/:id/deliveries/:deliveryId/retries (${service})`,
      who: 'admin',
      request: async (w) => ({
        service,
        method: 'post',
        path: `/webhooks/${(await w.subscription(service)).id}/deliveries/${(await w.delivery(service)).id}/retries`,
      }),
      expect: signedIn(202, ['admin']),
    },
  ]),
  // The internal routes' own document (not itself documented): for the services that call this one, any of them.
  ...SERVICE_NAMES.map((service): Row => ({
    route: `GET /internal/openapi.json (${service})`,
    who: 'services',
    request: () => ({ service, method: 'get', path: '/internal/openapi.json' }),
    expect: internal(
      service,
      200,
      { customers: ['sales', 'inventory', 'reviews'], inventory: ['sales'], sales: ['reviews'], reviews: [] }[service] as Caller[],
    ),
  })),
];

/** What a calling service presents to `service`: its credential for it, else (a compromised service trying) one it holds for elsewhere. */
function serviceHeader(caller: 'sales' | 'reviews' | 'inventory', service: Service): Record<string, string> {
  const own = Object.entries(system().serviceCredentials).find(([name]) => name.startsWith(`${caller.toUpperCase()}_TO_`))![1];
  return bearer(serviceCredential(caller, service) ?? own);
}

async function tokensFor(w: World): Promise<Record<Exclude<Caller, 'sales' | 'reviews' | 'inventory'>, Record<string, string>>> {
  const [owner, other, adm] = await Promise.all([w.owner(), w.other(), admin()]);
  // Forged tokens claim the admin role for the owner: accepting one would open every row.
  const forged = forgedTokens({ sub: owner.id, username: owner.username, role: 'admin' });
  return {
    anonymous: {},
    owner: owner.auth,
    other: other.auth,
    admin: adm.auth,
    expired: bearer(forged.expired),
    otherKey: bearer(forged.otherKey),
    algNone: bearer(forged.algNone),
    garbage: bearer(forged.garbage),
  };
}

function send(req: Req, auth: Record<string, string>) {
  let call = (api(req.service) as any)[req.method](req.path).set(auth);
  if (req.query) call = call.query(req.query);
  if (req.body !== undefined) call = call.send(req.body);
  return call;
}

beforeAll(async () => {
  await admin();
  await fundAdmin();
});

const shared = new World();

describe('authorization matrix (the contract\'s "who" column)', () => {
  it.each(rows.map((row) => [row.route, row.who, row] as const))('%s (%s)', async (_route, _who, row) => {
    const mismatches: string[] = [];
    const sharedTokens = row.fresh ? undefined : await tokensFor(shared);
    for (const caller of CALLERS) {
      const world = row.fresh ? new World() : shared;
      const tokens = sharedTokens ?? (await tokensFor(world));
      const req = await row.request(world);
      const res = await send(req, caller === 'sales' || caller === 'reviews' || caller === 'inventory' ? serviceHeader(caller, req.service) : tokens[caller]);
      const expected = row.expect[caller];
      if (!expected.includes(res.status)) {
        mismatches.push(`${caller}: expected ${expected.join(' or ')}, got ${res.status} ${res.text.slice(0, 160)}`);
        continue;
      }
      if (res.status >= 400 && !/^application\/problem\+json/.test(res.headers['content-type'] ?? ''))
        mismatches.push(`${caller}: ${res.status} is not problem+json`);
      if (res.status === 401 && res.body.code !== 'unauthorized') mismatches.push(`${caller}: 401 with code ${res.body.code}`);
      // RFC 6750 (contract v4): a 401 challenges for a bearer token, and names a token that was sent invalid_token.
      const challenge = res.headers['www-authenticate'] ?? '';
      if (res.status === 401 && !(caller === 'anonymous' ? challenge === 'Bearer' : challenge.startsWith('Bearer error="invalid_token"')))
        mismatches.push(`${caller}: 401 with WWW-Authenticate ${JSON.stringify(challenge)}`);
      if (res.status === 403 && res.body.code !== 'forbidden') mismatches.push(`${caller}: 403 with code ${res.body.code}`);
      if (res.status < 300 && row.check) {
        const problem = await row.check(caller, res.body, world);
        if (problem) mismatches.push(`${caller}: ${problem}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('has a row for every operation the services document', async () => {
    const covered = new Set(
      rows.map((r) =>
        r.route
          .replace(/ \(.*\)$/, '')
          .replace(/\?.*$/, '')
          .replace(/:(\w+)/g, '{$1}'),
      ),
    );
    const missing: string[] = [];
    for (const service of SERVICE_NAMES) {
      const doc = await fetchAllRoutes(service);
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const method of Object.keys(ops)) if (!covered.has(`${method.toUpperCase()} ${path}`)) missing.push(`${service}: ${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('least privilege between services', () => {
  // Every credential each service holds, against every internal route it does not need: a compromised reviews
  // must not reach the wallet or the stock with anything it has.
  const internalRoutes = rows.filter((row) => row.who === 'services');
  const holdings = (caller: string) => Object.entries(system().serviceCredentials).filter(([name]) => name.startsWith(`${caller.toUpperCase()}_TO_`));

  it.each(['sales', 'reviews', 'inventory'] as const)(
    '%s, with each credential it holds, is refused by every internal route not meant for it',
    async (caller) => {
      const reached: string[] = [];
      for (const row of internalRoutes) {
        if (row.expect[caller].some((status) => status < 300)) continue;
        for (const [name, credential] of holdings(caller)) {
          const req = await row.request(shared);
          const res = await send(req, bearer(credential));
          if (res.status !== 401 && res.status !== 403) reached.push(`${row.route} with ${name}: ${res.status}`);
        }
      }
      expect(reached).toEqual([]);
    },
  );

  it('tells a credential for another pair from none: the same secret does not open two services', () => {
    const values = Object.values(system().serviceCredentials);
    expect(new Set(values).size).toBe(values.length);
  });
});

afterAll(() => {
  console.log(`authz: ${rows.length} routes × ${CALLERS.length} callers = ${rows.length * CALLERS.length} cells`);
});
