import { NotFound } from '@shop/kit/errors';
import type { AccountFacts, AccountsRepo } from './model';

/** For other services: an account's existence and age, never its profile (reviews needs no more). */
export function accountsDomain(deps: { accounts: AccountsRepo }) {
  return {
    async facts(id: string): Promise<AccountFacts> {
      const found = await deps.accounts.facts(id);
      if (!found) throw new NotFound('No such account');
      return found;
    },
  };
}
export type AccountsDomain = ReturnType<typeof accountsDomain>;
