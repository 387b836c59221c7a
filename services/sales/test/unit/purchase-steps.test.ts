// The purchase's first step, with in-memory neighbours: what is checked, in which order, before any stock is held.
import type { CustomersClient } from '../../src/clients/customers.client';
import type { InventoryClient } from '../../src/clients/inventory.client';
import { PRICE_READS_AT_ONCE, purchaseSteps, type PurchaseContext } from '../../src/domain/purchase-steps';
import { Refused } from '../../src/domain/saga';

function fakes(prices: Record<string, number>, balanceCents: number | 'no_customer') {
  const calls: string[] = [];
  const inventory = {
    item: (id: string) => {
      calls.push(`item ${id}`);
      return Promise.resolve(id in prices ? { item: { id, priceCents: prices[id]! }, etag: '"x"' } : undefined);
    },
  } as unknown as InventoryClient;
  const customers = {
    balance: () => {
      calls.push('balance');
      return Promise.resolve(balanceCents);
    },
  } as unknown as CustomersClient;
  const [check] = purchaseSteps({ inventory, customers });
  const ctx = (lines: Array<{ itemId: string; quantity: number }>): PurchaseContext => ({
    sale: { id: 'sale', customerId: 'customer', lines },
    requestId: 'r',
    basket: lines.length > 1,
  });
  const refusal = async (lines: Array<{ itemId: string; quantity: number }>) => {
    try {
      await check!.run(ctx(lines));
      return undefined;
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      return { code: error.answer.code, reason: error.reason, errors: error.answer.errors };
    }
  };
  return { check: check!, calls, refusal };
}

describe('the check before the reservation', () => {
  it('holds nothing: it has no undo', () => {
    expect('undo' in fakes({}, 0).check).toBe(false);
  });

  it('passes a basket the balance covers, at the catalogue prices', async () => {
    const { refusal, calls } = fakes({ a: 300, b: 200 }, 700);
    expect(
      await refusal([
        { itemId: 'a', quantity: 1 },
        { itemId: 'b', quantity: 2 },
      ]),
    ).toBeUndefined();
    expect(calls).toEqual(['item a', 'item b', 'balance']);
  });

  it('refuses a balance below the total with insufficient_funds', async () => {
    expect(await fakes({ a: 300 }, 599).refusal([{ itemId: 'a', quantity: 2 }])).toMatchObject({ code: 'insufficient_funds' });
  });

  it('refuses a total above 100000000000 cents before asking for the balance', async () => {
    const { refusal, calls } = fakes({ a: 100_000_000, b: 1 }, 'no_customer');
    const lines = [
      { itemId: 'a', quantity: 1000 },
      { itemId: 'b', quantity: 1 },
    ];
    expect(await refusal(lines)).toMatchObject({ code: 'total_too_large', reason: 'total_too_large' });
    expect(calls).not.toContain('balance');
    // Exactly the maximum is allowed.
    expect(await fakes({ a: 100_000_000 }, 100_000_000_000).refusal([{ itemId: 'a', quantity: 1000 }])).toBeUndefined();
  });

  it('names unknown items by their line, as the reservation would', async () => {
    expect(
      await fakes({ a: 1 }, 10).refusal([
        { itemId: 'a', quantity: 1 },
        { itemId: 'zz', quantity: 1 },
      ]),
    ).toEqual({ code: 'not_found', reason: 'not_found', errors: [{ path: 'lines.1.itemId', message: 'no such item' }] });
  });
});

describe('the price reads of a large basket', () => {
  it(`has at most ${PRICE_READS_AT_ONCE} in flight, reads each line once, and prices each line by its own read`, async () => {
    let inFlight = 0;
    let most = 0;
    const reads: string[] = [];
    const inventory = {
      item: async (id: string) => {
        reads.push(id);
        most = Math.max(most, ++inFlight);
        // Later lines answer sooner: each answer must still land on its own line.
        await new Promise((resolve) => setTimeout(resolve, 50 - Number(id.slice(1))));
        inFlight--;
        return { item: { id, priceCents: 100 + Number(id.slice(1)) }, etag: '"x"' };
      },
    } as unknown as InventoryClient;
    const customers = { balance: () => Promise.resolve(0) } as unknown as CustomersClient;
    const [check] = purchaseSteps({ inventory, customers });
    // Line i: price 100 + i, quantity i + 1. A read landing on another line would change the total.
    const lines = Array.from({ length: 50 }, (_, i) => ({ itemId: `i${i}`, quantity: i + 1 }));
    const total = lines.reduce((sum, _, i) => sum + (100 + i) * (i + 1), 0);
    const refused = await check!.run({ sale: { id: 'sale', customerId: 'customer', lines }, requestId: 'r', basket: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Refused);
    expect((refused as Refused).answer.message).toBe(`The wallet holds less than the ${total} cents this costs`);
    expect(most).toBe(PRICE_READS_AT_ONCE);
    expect(reads.sort()).toEqual(lines.map((line) => line.itemId).sort());
  });
});
