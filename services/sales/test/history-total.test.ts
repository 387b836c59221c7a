// GET /sales for a customer's own history (issue 23): the total is the customer's count of completed sales, kept by
// the sales trigger in the completing transaction (customer_spend.completed_sales), not counted per page. The
// instance runs with COUNT_EXACT_LIMIT 2, so a total that was counted would be an estimate (totalIsEstimate: true)
// past two sales: an exact total past two comes from the maintained count.
import { eventually, sql, type TestCustomer } from '@shop/testkit';
import { buy, buyerAndItem, startSales } from './support/shop';

let sales: string;

beforeAll(async () => {
  sales = (await startSales({ COUNT_EXACT_LIMIT: '2' })).url;
});

async function history(url: string, customer: TestCustomer, query = 'limit=1') {
  const res = await fetch(`${url}/sales?${query}`, { headers: customer.auth });
  expect(res.status).toBe(200);
  return (await res.json()) as { total: number; totalIsEstimate: boolean; data: Array<{ id: string }> };
}

const stored = async (customerId: string) =>
  (await sql<{ n: string | null }>('sales', 'SELECT completed_sales::text AS n FROM customer_spend WHERE customer_id = $1', [customerId]))[0]?.n;

describe("GET /sales: a customer's own total", () => {
  it('is exact past COUNT_EXACT_LIMIT, from the count kept on each completion, and stays so after a refund', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 10_000, stockCount: 10, priceCents: 100 });
    for (let i = 0; i < 4; i++) expect((await buy(customer, item.id)).status).toBe(201);

    expect(await history(sales, customer)).toMatchObject({ total: 4, totalIsEstimate: false });
    expect(await stored(customer.id)).toBe('4');

    // A refunded sale stays in the history (status refunded): still four.
    const [first] = (await history(sales, customer)).data;
    const refund = await fetch(`${sales}/sales/${first!.id}/refunds`, {
      method: 'POST',
      headers: { ...customer.auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refund.status).toBe(201);
    expect(await history(sales, customer)).toMatchObject({ total: 4, totalIsEstimate: false });
    expect(await stored(customer.id)).toBe('4');
  });

  it('is counted for customers who bought before the count existed, by the fill a starting instance runs', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 10_000, stockCount: 10, priceCents: 100 });
    for (let i = 0; i < 3; i++) expect((await buy(customer, item.id)).status).toBe(201);
    // As the migration leaves a customer who bought before it: not counted yet. The page then counts (here: an
    // estimate past COUNT_EXACT_LIMIT 2), never answers a wrong exact total.
    await sql('sales', 'UPDATE customer_spend SET completed_sales = NULL WHERE customer_id = $1', [customer.id]);
    expect((await history(sales, customer)).totalIsEstimate).toBe(true);

    const started = await startSales({ COUNT_EXACT_LIMIT: '2' });
    await eventually('the fill counts the customer', async () => (await stored(customer.id)) === '3');
    expect(await history(started.url, customer)).toMatchObject({ total: 3, totalIsEstimate: false });
    // Filters other than the customer are counted as before (exact here: the page holds them all).
    expect(await history(started.url, customer, 'limit=5&status=completed')).toMatchObject({ total: 3, totalIsEstimate: false });
  });
});
