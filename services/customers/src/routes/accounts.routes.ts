import { z, type Api } from '@shop/kit';
import type { AccountsDomain } from '../domain/accounts';

const accountParams = z.object({ customerId: z.uuid() });
const accountFacts = z.object({ id: z.uuid(), createdAt: z.iso.datetime() }).openapi('AccountFacts');

/** For reviews: when a reporter's account was opened (a report counts only from an account old enough). */
export function internalAccountRoutes(api: Api, accounts: AccountsDomain) {
  api.route(
    {
      method: 'get',
      path: '/internal/customers/:customerId/account',
      tag: 'Internal',
      summary: "An account's id and creation time (nothing else of the profile)",
      access: 'service',
      callers: ['reviews'],
      request: { params: accountParams },
      response: { status: 200, description: 'The account', schema: accountFacts },
      errors: ['not_found'],
    },
    async ({ params }) => ({ body: await accounts.facts(params.customerId) }),
  );
}
