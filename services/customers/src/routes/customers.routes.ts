import { clientAddress, NO_STORE, page, type Api } from '@shop/kit';
import type { CustomersDomain } from '../domain/customers';
import * as s from './customers.schemas';

const TAG = 'Customers';

export function customersRoutes(api: Api, customers: CustomersDomain) {
  api.route(
    {
      method: 'post',
      path: '/customers',
      tag: TAG,
      summary: 'Register a customer',
      description:
        'Limited to `REGISTRATIONS_PER_HOUR` (default 20) per client address. A password too easy to guess (zxcvbn score below 3) is 400 `weak_password`.',
      access: 'public',
      request: { body: s.registration },
      response: { status: 201, description: 'The new customer', schema: s.customer, headers: { Location: 'URL of the customer' } },
      errors: ['weak_password', 'conflict', 'rate_limited'],
    },
    async ({ body, req }) => {
      const created = await customers.register(body, clientAddress(req));
      return { body: created, headers: { Location: `/customers/${encodeURIComponent(created.username)}`, ...NO_STORE } };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/customers',
      tag: TAG,
      summary: 'List customers (admin)',
      access: 'admin',
      request: { query: s.customerListQuery },
      response: { status: 200, description: 'A page of customers', schema: s.customerPage },
    },
    async ({ query }) => {
      const { data, ...listed } = await customers.list(query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/customers/:username',
      tag: TAG,
      summary: 'Read a profile (self or admin)',
      access: 'user',
      request: { params: s.usernameParams },
      response: { status: 200, description: 'The customer', schema: s.customer },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, user }) => ({ body: await customers.load(user, params.username) }),
  );

  api.route(
    {
      method: 'patch',
      path: '/customers/:username',
      tag: TAG,
      summary: 'Update a profile or password (self or admin)',
      description:
        'A customer changing their own password also sends `currentPassword`; an admin may set one without it. A new password too easy to guess is 400 `weak_password`.',
      access: 'user',
      request: { params: s.usernameParams, body: s.profileChanges },
      response: { status: 200, description: 'The updated customer', schema: s.customer },
      errors: ['weak_password', 'forbidden', 'not_found', 'invalid_credentials', 'rate_limited'],
    },
    async ({ params, body, user, req }) => ({ body: await customers.update(user, params.username, body, clientAddress(req)) }),
  );

  api.route(
    {
      method: 'delete',
      path: '/customers/:username',
      tag: TAG,
      summary: 'Delete an account and its wallet (self or admin)',
      description: 'The last admin account cannot be deleted (409).',
      access: 'user',
      request: { params: s.usernameParams },
      response: { status: 204, description: 'Deleted' },
      errors: ['forbidden', 'not_found', 'conflict'],
    },
    async ({ params, user }) => {
      await customers.remove(user, params.username);
      return { status: 204 };
    },
  );
}
