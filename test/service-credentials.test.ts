// Rotating a service credential without a failed call: a credential may be a comma-separated list, the caller
// presents the first and the callee accepts any (docs/kubernetes.md, "Rotating a service credential").
import crypto from 'node:crypto';
import { admin, api, bearer, expectProblem, newCustomer, serviceCredential, sessionIdOf, startInstance, unique } from '@shop/testkit';

const debit = (url: string, token: string, customer: { id: string; token: string }) =>
  api(url)
    .post('/internal/wallet/debits')
    .set(bearer(token))
    .send({ customerId: customer.id, amountCents: 1, reference: `rotation-${unique()}`, sessionId: sessionIdOf(customer.token) });

describe('rotating SALES_TO_CUSTOMERS_TOKEN', () => {
  it('accepts every credential of the list during the rotation, and only those', async () => {
    const current = serviceCredential('sales', 'customers')!;
    const next = crypto.randomBytes(32).toString('base64url');
    const customers = await startInstance('customers', { SALES_TO_CUSTOMERS_TOKEN: `${current},${next}` });
    const buyer = await newCustomer({ balanceCents: 100 });
    expect((await debit(customers.url, current, buyer)).status).toBe(201);
    expect((await debit(customers.url, next, buyer)).status).toBe(201);
    expect((await debit(customers.url, crypto.randomBytes(32).toString('base64url'), buyer)).status).toBe(401);
    // The step after: only the new one.
    const rotated = await startInstance('customers', { SALES_TO_CUSTOMERS_TOKEN: next });
    expect((await debit(rotated.url, next, buyer)).status).toBe(201);
    expect((await debit(rotated.url, current, buyer)).status).toBe(401);
  });

  it('has sales present the first credential of its list', async () => {
    const next = crypto.randomBytes(32).toString('base64url');
    const current = serviceCredential('sales', 'customers')!;
    // Customers (the shared one) knows only the current credential: a sales that presents `next` first is refused
    // (503: customers did not take it), one that presents `current` first buys.
    const presentsNext = await startInstance('sales', { SALES_TO_CUSTOMERS_TOKEN: `${next},${current}`, SERVICE_RETRY_ATTEMPTS: '1' });
    const presentsCurrent = await startInstance('sales', { SALES_TO_CUSTOMERS_TOKEN: `${current},${next}` });
    const buyer = await newCustomer({ balanceCents: 10_000 });
    const item = await api('inventory')
      .post('/items')
      .set((await admin()).auth)
      .send({ name: unique('rot-'), category: 'food', priceCents: 100, stockCount: 10 });
    expectProblem(await api(presentsNext.url).post('/sales').set(buyer.auth).send({ itemId: item.body.id }), 503, 'service_unavailable');
    expect((await api(presentsCurrent.url).post('/sales').set(buyer.auth).send({ itemId: item.body.id })).status).toBe(201);
  });
});
