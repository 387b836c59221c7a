import { UpstreamUnavailable, z, type ServiceClient } from '@shop/kit';

const SERVICE = 'customers';

export type DebitResult = { outcome: 'debited' } | { outcome: 'insufficient_funds' | 'no_customer' | 'session_ended' | 'refused' };

function unexpected(status: number, body: unknown): never {
  throw new UpstreamUnavailable(SERVICE, `answered ${status} unexpectedly: ${JSON.stringify(body)?.slice(0, 200)}`);
}

const refundResult = z.object({ outcome: z.enum(['refunded', 'already_refunded', 'voided']) });
const balance = z.object({ balanceCents: z.number().int() });
/** customers' 401 for a debit whose session has ended names `sessionId`; any other 401 is a wiring fault (our credential). */
const sessionEnded = z.object({ code: z.literal('unauthorized'), errors: z.array(z.object({ path: z.literal('sessionId') })).min(1) });

/** The customers wallet as sales uses it: debits and refunds keyed by the sale id, credits by the refund id; all are retried. */
export function customersClient(http: ServiceClient) {
  return {
    /** Charges the buyer, only while their session `sessionId` is live (customers checks it under the session's row lock). */
    async debit(input: { customerId: string; amountCents: number; reference: string; sessionId: string }, requestId: string): Promise<DebitResult> {
      const { status, body } = await http.call({ method: 'POST', path: '/internal/wallet/debits', body: input, requestId, retry: true });
      if (status === 200 || status === 201) return { outcome: 'debited' };
      if (status === 402) return { outcome: 'insufficient_funds' };
      if (status === 404) return { outcome: 'no_customer' };
      if (status === 401 && sessionEnded.safeParse(body).success) return { outcome: 'session_ended' };
      // The reference was voided by an undo that got there first, or reused: this debit will never happen.
      if (status === 409) return { outcome: 'refused' };
      return unexpected(status, body);
    },

    /** The balance now (a pre-check only: the debit decides), or `no_customer`. */
    async balance(customerId: string, requestId: string): Promise<number | 'no_customer'> {
      const { status, body } = await http.call({
        method: 'GET',
        path: `/internal/customers/${encodeURIComponent(customerId)}/balance`,
        route: '/internal/customers/:id/balance',
        requestId,
        retry: true,
      });
      if (status === 404) return 'no_customer';
      const parsed = balance.safeParse(body);
      return status === 200 && parsed.success ? parsed.data.balanceCents : unexpected(status, body);
    },

    /** Refunds the sale's debit, or voids the reference so a late debit is refused. Idempotent. */
    async refund(input: { customerId: string; reference: string }, requestId: string): Promise<'refunded' | 'already_refunded' | 'voided'> {
      const { status, body } = await http.call({ method: 'POST', path: '/internal/wallet/refunds', body: input, requestId, retry: true });
      if (status !== 200) return unexpected(status, body);
      const parsed = refundResult.safeParse(body);
      return parsed.success ? parsed.data.outcome : unexpected(status, body);
    },

    /**
     * Credits a refund (reference = refund id), once. `no_customer`: the account was deleted, so there is no
     * wallet to credit. Anything else unexpected (a 409 for a reused reference) throws: the refund stays pending.
     */
    async credit(input: { customerId: string; amountCents: number; reference: string }, requestId: string): Promise<'credited' | 'no_customer'> {
      const { status, body } = await http.call({ method: 'POST', path: '/internal/wallet/credits', body: input, requestId, retry: true });
      if (status === 200 || status === 201) return 'credited';
      if (status === 404) return 'no_customer';
      return unexpected(status, body);
    },
  };
}
export type CustomersClient = ReturnType<typeof customersClient>;
