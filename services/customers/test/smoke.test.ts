import { api, newCustomer } from '@shop/testkit';

it('registers and reads a customer', async () => {
  const c = await newCustomer({ balanceCents: 100 });
  const res = await api('customers').get(`/customers/${c.username}`).set(c.auth);
  expect(res.status).toBe(200);
  expect(res.body.balanceCents).toBe(100);
});
