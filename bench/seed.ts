// The data every scenario reads and buys: items through the API, customers, their deposits and reviews straight
// into the databases, tokens signed here; and the webhook subscription the purchase is measured with.
import http from 'node:http';
import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/kit/tokens';
import type { TestSystem } from '@shop/testkit';
import { BCRYPT_ROUNDS, CUSTOMERS, INITIAL_STOCK, ITEMS, query, REVIEWS_PER_ITEM, STARTING_BALANCE } from './settings';

export async function seed(system: TestSystem) {
  const { context } = system;
  const adminToken = (
    (await (
      await fetch(`${context.urls.customers}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(context.admin),
      })
    ).json()) as { accessToken: string }
  ).accessToken;
  const categories = ['food', 'clothes', 'accessories', 'electronics'];
  const itemIds: string[] = [];
  for (let i = 0; i < ITEMS; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, ITEMS - i) }, (_, j) =>
        fetch(`${context.urls.inventory}/items`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({
            name: `Bench item ${i + j}`,
            category: categories[(i + j) % 4],
            priceCents: 100 + (((i + j) * 7919) % 9900),
            description: `A realistic description for item ${i + j}, long enough to be searched.`,
            stockCount: INITIAL_STOCK,
          }),
        }).then(async (r) => {
          // A refused item would seed reviews of no item: say why instead.
          if (r.status !== 201) throw new Error(`creating a bench item failed: ${r.status} ${await r.text()}`);
          return r.json() as Promise<{ id: string }>;
        }),
      ),
    );
    itemIds.push(...batch.map((item: { id: string }) => item.id));
  }

  // Customers straight into the database (one bcrypt hash for all): registering thousands through the API
  // would measure bcrypt for minutes. Each gets a deposit, so the ledger matches the balance.
  const hash = await bcrypt.hash('bench-password', BCRYPT_ROUNDS);
  const customers = await query(
    context.databaseUrls.customers,
    `INSERT INTO customers (id, username, username_key, password_hash, first_name, last_name, age, address, gender, marital_status, balance_cents, updated_at)
     SELECT gen_random_uuid(), 'bench' || g, 'bench' || g, $1, 'Bench', 'Customer', 30, 'Bench Street', 'other', 'single', $2, now()
     FROM generate_series(1, $3::int) g RETURNING id, username`,
    [hash, STARTING_BALANCE, CUSTOMERS],
  );
  await query(
    context.databaseUrls.customers,
    `INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents)
     SELECT gen_random_uuid(), id, 'deposit', $1, $1 FROM customers WHERE username_key LIKE 'bench%'`,
    [STARTING_BALANCE],
  );

  // One session per customer (as a login would open), so that the wallet debit, which charges only for a live
  // session, finds the one its token names.
  const sessions = await query(
    context.databaseUrls.customers,
    `INSERT INTO sessions (id, customer_id, expires_at) SELECT gen_random_uuid(), id, now() + interval '1 day' FROM customers
     WHERE username_key LIKE 'bench%' RETURNING id, customer_id`,
  );
  const sessionOf = new Map(sessions.map((row: { id: string; customer_id: string }) => [row.customer_id, row.id]));
  for (const customer of customers) customer.sessionId = sessionOf.get(customer.id);

  // Approved reviews, spread over the items.
  await query(
    context.databaseUrls.reviews,
    `INSERT INTO reviews (id, item_id, customer_id, username, username_key, rating, comment, status, verified_purchase, purchase_checked)
     SELECT gen_random_uuid(), (i.ids)[1 + (g % array_length(i.ids, 1))], (c.ids)[1 + ((g * 31) % array_length(c.ids, 1))],
            'bench', 'bench', 1 + g % 5, 'Bench review ' || g, 'approved', false, true
     FROM generate_series(0, $1::int - 1) g, (SELECT $2::uuid[] AS ids) i, (SELECT $3::uuid[] AS ids) c
     ON CONFLICT DO NOTHING`,
    [ITEMS * REVIEWS_PER_ITEM, itemIds, customers.map((c) => c.id)],
  );

  const jwks = (await (await fetch(`${context.urls.customers}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  const kid = jwks.keys[0]!.kid;
  const key = context.env.customers.JWT_PRIVATE_KEY!;
  const tokens = customers.map((c) =>
    // Signed here rather than logged in: 2,000 logins would measure bcrypt. The session is the one opened above.
    jwt.sign({ username: c.username, role: 'customer', sid: c.sessionId }, key, {
      algorithm: 'RS256',
      keyid: kid,
      subject: c.id,
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      expiresIn: 3600,
    }),
  );
  return { itemIds, customers: customers as { id: string; username: string; sessionId: string }[], tokens, adminToken };
}

/**
 * One webhook subscription to sales' sale.completed, to a receiver in this process that answers 204: the
 * purchase scenario is measured with it inactive and active in turns. `settle` turns it on and waits until
 * every delivery made for it is delivered.
 */
export async function webhookSubscription(system: TestSystem, adminToken: string) {
  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume().on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const sales = system.context.urls.sales;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` };
  const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  const answer = await fetch(`${sales}/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url, events: ['sale.completed'] }) });
  if (answer.status !== 201) {
    // A shop in production mode refuses loopback targets (WEBHOOK_ALLOW_PRIVATE_TARGETS is refused there): no turn.
    console.log(`no webhook turn: sales refused a subscription to ${url} (${answer.status} ${await answer.text()})`);
    receiver.close();
    return undefined;
  }
  const created = (await answer.json()) as { id: string };
  const setActive = async (active: boolean) => {
    const res = await fetch(`${sales}/webhooks/${created.id}`, { method: 'PATCH', headers, body: JSON.stringify({ active }) });
    if (res.status !== 200) throw new Error(`could not set the subscription active=${active}: ${res.status}`);
  };
  await setActive(false);
  return {
    activate: () => setActive(true),
    deactivate: () => setActive(false),
    async settle() {
      await setActive(true);
      const count = async (status: string) =>
        (
          await query(system.context.databaseUrls.sales, `SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND status = $2`, [
            created.id,
            status,
          ])
        )[0].n as number;
      const deadline = Date.now() + 120_000;
      while ((await count('pending')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1000));
      return { delivered: await count('delivered'), pending: await count('pending'), failed: await count('failed'), received };
    },
    /** Without it a run that skips the purchase scenario would never exit. */
    close: () => receiver.close(),
  };
}
