// Personal answers and tokens are never stored by a browser or a proxy (the catalogue reads that may be are
// tested beside their services: services/*/test/caching.test.ts and sales' goods.test.ts).
import { api, newCustomer } from '@shop/testkit';

describe('personal answers are Cache-Control: no-store, with no ETag', () => {
  it('covers the login answer, the profile, the wallet and the purchase history', async () => {
    const customer = await newCustomer();
    const answers = [
      await api('customers').post('/auth/login').send({ username: customer.username, password: customer.password }),
      await api('customers').get(`/customers/${customer.username}`).set(customer.auth),
      await api('customers').get(`/customers/${customer.username}/wallet/transactions`).set(customer.auth),
      await api('sales').get('/sales').set(customer.auth),
    ];
    for (const res of answers) {
      expect({ status: res.status, cacheControl: res.headers['cache-control'], etag: res.headers.etag }).toEqual({
        status: 200,
        cacheControl: 'no-store',
        etag: undefined,
      });
    }
  });
});
