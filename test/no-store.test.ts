// Answers that carry tokens or personal data must not be kept by any cache (a shared proxy, the browser's
// back button): Cache-Control: no-store on every one of them, in every service.
import { api, customerBody, newCustomer } from '@shop/testkit';
import { buy, newItem, newReview } from './support/fixtures';

describe('Cache-Control: no-store', () => {
  it('is sent with tokens and personal data, and not with public catalogue reads', async () => {
    const c = await newCustomer({ balanceCents: 10_000 });
    const item = await newItem();
    const sale = await buy(c, item.id);
    await newReview(c, item.id, false);
    const answers = {
      'POST /customers': await api('customers').post('/customers').send(customerBody()),
      'POST /auth/login': await api('customers').post('/auth/login').send({ username: c.username, password: c.password }),
      'GET /customers/:username': await api('customers').get(`/customers/${c.username}`).set(c.auth),
      'GET /customers/:username/wallet/transactions': await api('customers').get(`/customers/${c.username}/wallet/transactions`).set(c.auth),
      'GET /sales': await api('sales').get('/sales').set(c.auth),
      'GET /sales/:id': await api('sales').get(`/sales/${sale.id}`).set(c.auth),
      'GET /customers/:username/reviews (own)': await api('reviews').get(`/customers/${c.username}/reviews`).set(c.auth),
    };
    const seen = Object.fromEntries(Object.entries(answers).map(([name, res]) => [name, `${res.status} ${res.headers['cache-control']}`]));
    expect(seen).toEqual(Object.fromEntries(Object.keys(answers).map((name) => [name, `${name === 'POST /customers' ? 201 : 200} no-store`])));
    // A public catalogue read may be kept, and is revalidated by its ETag (services/*/test/caching.test.ts).
    expect((await api('inventory').get(`/items/${item.id}`)).headers['cache-control']).toBe('public, no-cache');
  });
});
