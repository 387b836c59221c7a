// The purchase's pure parts: the Idempotency-Key's request fingerprint and the recovery sweep's lock budget.
import { longestPurchaseMs } from '../../src/config';
import { requestHash } from '../../src/domain/purchases';

const itemId = '0b1c2d3e-4f50-4617-8899-aabbccddeeff';

describe('requestHash', () => {
  it('is the same for the same purchase however the client spells it', () => {
    const hash = requestHash('post', '/sales', { itemId, quantity: 2 });
    expect(requestHash('POST', '/sales', { itemId: itemId.toUpperCase(), quantity: 2 })).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when the item, the quantity, the method or the path differ', () => {
    const hash = requestHash('POST', '/sales', { itemId, quantity: 2 });
    const others = [
      requestHash('POST', '/sales', { itemId: itemId.replace('0b', '1b'), quantity: 2 }),
      requestHash('POST', '/sales', { itemId, quantity: 3 }),
      requestHash('PUT', '/sales', { itemId, quantity: 2 }),
      requestHash('POST', '/sales/', { itemId, quantity: 2 }),
    ];
    expect(new Set([hash, ...others]).size).toBe(5);
  });
});

describe('longestPurchaseMs', () => {
  it('covers four calls, each retried to its limit with the backoff between attempts, plus a second', () => {
    // 3 attempts × 2000 ms + 2 backoffs × 500 ms = 7000 ms per call; 4 calls + 1000 ms.
    expect(longestPurchaseMs({ SERVICE_TIMEOUT_MS: 2000, SERVICE_RETRY_ATTEMPTS: 3 })).toBe(29_000);
    expect(longestPurchaseMs({ SERVICE_TIMEOUT_MS: 100, SERVICE_RETRY_ATTEMPTS: 1 })).toBe(1_400);
  });
});
