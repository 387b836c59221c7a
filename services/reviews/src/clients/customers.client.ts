import { createServiceClient, z, type ServiceClient } from '@shop/kit';

const account = z.object({ createdAt: z.iso.datetime() });

/** Customers as reviews needs it: when an account was opened (whose reports count). */
export function customersClient(client: ServiceClient) {
  return {
    /** The account's creation time; null when there is no such account (deleted). Throws when customers cannot say. */
    async accountCreatedAt(customerId: string, requestId?: string): Promise<Date | null> {
      const path = `/internal/customers/${encodeURIComponent(customerId)}/account`;
      const reply = await client.call({ method: 'GET', path, route: '/internal/customers/:customerId/account', requestId, retry: true });
      if (reply.status === 404) return null;
      const parsed = reply.status === 200 ? account.safeParse(reply.body) : undefined;
      if (!parsed?.success) throw new Error(`customers answered ${reply.status} to GET /internal/customers/:id/account`);
      return new Date(parsed.data.createdAt);
    },
  };
}
export type CustomersClient = ReturnType<typeof customersClient>;

export const createCustomersClient = (baseUrl: string, serviceToken: string, timeoutMs: number) =>
  customersClient(createServiceClient({ service: 'customers', baseUrl, serviceToken, timeoutMs }));
