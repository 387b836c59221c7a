import { page, pageQuery, z, type Api } from '@shop/kit';
import type { WalletDomain } from '../domain/wallet';
import { usernameParams } from './customers.schemas';
import * as s from './wallet.schemas';

const TAG = 'Wallet';

/** 201 with the new ledger entry's URL. */
const created = (username: string, result: { balanceCents: number; transaction: { id: string } }) => ({
  body: result,
  headers: { Location: `/customers/${encodeURIComponent(username)}/wallet/transactions/${result.transaction.id}` },
});

export function walletRoutes(api: Api, wallet: WalletDomain) {
  api.route(
    {
      method: 'post',
      path: '/customers/:username/wallet/deposits',
      tag: TAG,
      summary: 'Deposit money (self or admin)',
      description:
        'A deposit stands for money that arrived from a payment provider. Deposits into one wallet over any rolling 24 hours ' +
        'are limited to `DEPOSIT_LIMIT_CENTS_PER_DAY` (default 100000): past it, 422 `deposit_limit` and nothing is deposited.',
      access: 'user',
      request: { params: usernameParams, body: s.deposit },
      response: { status: 201, description: 'The new balance and its ledger entry', schema: s.depositResult, headers: { Location: 'URL of the ledger entry' } },
      errors: ['forbidden', 'not_found', 'deposit_limit'],
    },
    async ({ params, body, user }) => created(params.username, await wallet.deposit(user, params.username, body.amountCents)),
  );

  api.route(
    {
      method: 'post',
      path: '/customers/:username/wallet/adjustments',
      tag: TAG,
      summary: 'Adjust a wallet either way, with a reason (admins only)',
      description:
        'A correction by an admin (a chargeback, a goodwill credit): recorded in the ledger as `adjustment` with its `reason`, ' +
        'without the daily deposit limit. A result below 0 → 402 `insufficient_funds`, and nothing changes.',
      access: 'admin',
      request: { params: usernameParams, body: s.adjustment },
      response: { status: 201, description: 'The new balance and its ledger entry', schema: s.depositResult, headers: { Location: 'URL of the ledger entry' } },
      errors: ['forbidden', 'not_found', 'insufficient_funds'],
    },
    async ({ params, body, user }) => created(params.username, await wallet.adjust(user, params.username, body.amountCents, body.reason)),
  );

  api.route(
    {
      method: 'get',
      path: '/customers/:username/wallet/transactions',
      tag: TAG,
      summary: 'The wallet ledger, newest first (self or admin)',
      access: 'user',
      request: { params: usernameParams, query: pageQuery },
      response: { status: 200, description: 'A page of ledger entries', schema: s.transactionPage },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, query, user }) => {
      const { data, ...listed } = await wallet.transactions(user, params.username, query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/customers/:username/wallet/transactions/:id',
      tag: TAG,
      summary: 'One ledger entry (self or admin)',
      access: 'user',
      request: { params: usernameParams.extend({ id: z.uuid() }) },
      response: { status: 200, description: 'The ledger entry', schema: s.transaction },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, user }) => ({ body: await wallet.transaction(user, params.username, params.id) }),
  );
}

/** Wallet operations for the sales sagas; services only. All are idempotent by `reference` (a sale id, or a refund id for credits). */
export function internalWalletRoutes(api: Api, wallet: WalletDomain) {
  api.route(
    {
      method: 'post',
      path: '/internal/wallet/debits',
      tag: 'Internal',
      summary: 'Debit a wallet for a purchase (idempotent by reference)',
      description:
        '201 when charged now, 200 when this reference was already charged (nothing more is taken). 401 `unauthorized` naming ' +
        "`sessionId` when the buyer's session has ended (or is not theirs, or expired): nothing is charged.",
      access: 'service',
      callers: ['sales'],
      request: { body: s.debit },
      response: { status: 201, description: 'Charged', schema: s.debitResult },
      errors: ['insufficient_funds', 'not_found', 'conflict', 'unauthorized'],
    },
    async ({ body }) => {
      const { created, ...result } = await wallet.debit(body.customerId, body.amountCents, body.reference, body.sessionId);
      return { status: created ? 201 : 200, body: result };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/internal/customers/:id/balance',
      tag: 'Internal',
      summary: "A customer's balance now (sales' pre-check before a purchase reserves stock; the debit still decides)",
      access: 'service',
      callers: ['sales'],
      request: { params: s.customerIdParams },
      response: { status: 200, description: 'The balance', schema: s.balance },
      errors: ['not_found'],
    },
    async ({ params }) => ({ body: await wallet.balance(params.id) }),
  );

  api.route(
    {
      method: 'post',
      path: '/internal/wallet/refunds',
      tag: 'Internal',
      summary: 'Refund a purchase debit, or void its reference if it never happened (idempotent)',
      access: 'service',
      callers: ['sales'],
      request: { body: s.refund },
      response: { status: 200, description: 'What happened', schema: s.refundResult },
    },
    async ({ body }) => ({ body: await wallet.refund(body.customerId, body.reference) }),
  );

  api.route(
    {
      method: 'post',
      path: '/internal/wallet/credits',
      tag: 'Internal',
      summary: 'Credit a wallet for a refund of a sale (idempotent by reference, the refund id)',
      description:
        '201 when credited now (a ledger entry of type `refund`), 200 when this reference was already credited (nothing more is given). ' +
        '409 conflict when the reference was credited with another amount or to another customer.',
      access: 'service',
      callers: ['sales'],
      request: { body: s.credit },
      response: { status: 201, description: 'Credited', schema: s.creditResult },
      errors: ['not_found', 'conflict'],
    },
    async ({ body }) => {
      const { created, ...result } = await wallet.credit(body.customerId, body.amountCents, body.reference);
      return { status: created ? 201 : 200, body: result };
    },
  );
}
