// A username can be deleted and registered again by someone else. A token issued to the earlier account must
// never act for the later one: "self" is the token's `sub` compared with the id of the account behind
// `:username`, on every /customers/:username/… route of every service (read from their OpenAPI documents, so
// a new route is covered the moment it is documented).
import { api, bearer, customerBody, login, system } from '@shop/testkit';
import { expectStatus, newItem } from './support/fixtures';
import { runningServices, type Service } from './support/contract';
import { fetchDocument } from './support/openapi';

/** A body each self route accepts (so what answers is the ownership check, not validation). */
const BODIES: Record<string, unknown> = {
  'patch /customers/{username}': { password: 'taken-over-password', currentPassword: 'plum-orbit-canvas-7', firstName: 'Mallory' },
  'post /customers/{username}/wallet/deposits': { amountCents: 100 },
};
/** Routes anyone may call, where the old token must simply not get the personal view. */
const PUBLIC_VIEWS = new Set(['get /customers/{username}/reviews']);

async function selfRoutes() {
  const routes: Array<{ service: Service; method: string; path: string }> = [];
  for (const service of runningServices()) {
    const doc = await fetchDocument(system().urls[service]);
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/customers/{username}')) continue;
      for (const method of Object.keys(ops)) routes.push({ service, method, path });
    }
  }
  return routes;
}

describe('a username registered again', () => {
  it("is out of reach of the earlier account's tokens on every self route of every service", async () => {
    // The first owner registers, keeps a token, leaves a ledger entry, and deletes the account.
    const body = customerBody();
    await expectStatus('register', api('customers').post('/customers').send(body), 201);
    const oldAuth = bearer(await login(body.username, body.password));
    await expectStatus('deposit', api('customers').post(`/customers/${body.username}/wallet/deposits`).set(oldAuth).send({ amountCents: 100 }), 201);
    await expectStatus('delete', api('customers').delete(`/customers/${body.username}`).set(oldAuth), 204);

    // Someone else takes the name, puts money in, and writes a review still waiting for moderation.
    const next = customerBody({ username: body.username, password: 'the-new-owners-secret', firstName: 'Newowner' });
    const registered = await expectStatus('register again', api('customers').post('/customers').send(next), 201);
    const newAuth = bearer(await login(next.username, next.password));
    const deposit = await expectStatus(
      'deposit',
      api('customers').post(`/customers/${next.username}/wallet/deposits`).set(newAuth).send({ amountCents: 5000 }),
      201,
    );
    const item = await newItem();
    const review = await expectStatus('review', api('reviews').post('/reviews').set(newAuth).send({ itemId: item.id, rating: 1, comment: 'mine' }), 201);

    const routes = await selfRoutes();
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['get /customers/{username}', 'get /customers/{username}/reviews']));
    const answers: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const path = route.path.replace('{username}', next.username).replace('{id}', deposit.body.transaction.id);
      let call = (api(route.service) as any)[route.method](path).set(oldAuth);
      if (BODIES[key]) call = call.send(BODIES[key]);
      const res = await call;
      if (PUBLIC_VIEWS.has(key)) {
        const ids = res.status === 200 ? res.body.data.map((r: { id: string }) => r.id) : [];
        // The deleted account's sessions have ended: within 5 s every service refuses its token (401); until then the
        // token is valid but not the owner's, so it gets the public view. Either way, never the personal one.
        const notPersonal = res.status === 401 || (res.status === 200 && !ids.includes(review.body.id));
        answers.push(`${key}: ${notPersonal ? 'public view' : `${res.status} ${JSON.stringify(ids)}`}`);
      } else {
        answers.push(`${key}: ${[401, 403].includes(res.status) ? 'refused' : `${res.status} ${res.text.slice(0, 200)}`}`);
      }
    }
    expect(answers).toEqual(routes.map((r) => `${r.method} ${r.path}: ${PUBLIC_VIEWS.has(`${r.method} ${r.path}`) ? 'public view' : 'refused'}`));

    // The new owner's account is untouched: same profile, same money, the own password still works.
    const profile = await expectStatus('profile', api('customers').get(`/customers/${next.username}`).set(newAuth), 200);
    expect(profile.body).toMatchObject({ id: registered.body.id, firstName: 'Newowner', balanceCents: 5000 });
    expect(await login(next.username, next.password)).toEqual(expect.any(String));
  });
});
