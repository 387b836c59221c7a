// The purchase's pure parts: the Idempotency-Key's request fingerprint and the recovery sweep's lock budget.
import { longestPurchaseMs } from '../../src/config';
import { purchaseFingerprint, requestHash } from '../../src/domain/purchases';

const itemId = '0b1c2d3e-4f50-4617-8899-aabbccddeeff';
const other = '1b1c2d3e-4f50-4617-8899-aabbccddeeff';
const hashOf = (body: Parameters<typeof purchaseFingerprint>[0], method = 'POST', path = '/sales') => requestHash(method, path, purchaseFingerprint(body));

describe('the purchase fingerprint', () => {
  it('is the same for the same purchase however the client spells the item id or the method', () => {
    const hash = hashOf({ itemId, quantity: 2 });
    expect(hashOf({ itemId: itemId.toUpperCase(), quantity: 2 }, 'post')).toBe(hash);
    expect(hashOf({ lines: [{ itemId, quantity: 1 }] })).toBe(hashOf({ lines: [{ itemId: itemId.toUpperCase(), quantity: 1 }] }));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when the item, the quantity, the order of the lines, the method or the path differ', () => {
    const hashes = [
      hashOf({ itemId, quantity: 2 }),
      hashOf({ itemId: other, quantity: 2 }),
      hashOf({ itemId, quantity: 3 }),
      hashOf({ itemId, quantity: 2 }, 'PUT'),
      hashOf({ itemId, quantity: 2 }, 'POST', '/sales/'),
      hashOf({
        lines: [
          { itemId, quantity: 1 },
          { itemId: other, quantity: 1 },
        ],
      }),
      hashOf({
        lines: [
          { itemId: other, quantity: 1 },
          { itemId, quantity: 1 },
        ],
      }),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe('longestPurchaseMs', () => {
  it('covers four calls, each retried to its limit with the backoff between attempts, plus a second', () => {
    // 3 attempts × 2000 ms + 2 backoffs × 500 ms = 7000 ms per call; 4 calls + 1000 ms.
    expect(longestPurchaseMs({ SERVICE_TIMEOUT_MS: 2000, SERVICE_RETRY_ATTEMPTS: 3 })).toBe(29_000);
    expect(longestPurchaseMs({ SERVICE_TIMEOUT_MS: 100, SERVICE_RETRY_ATTEMPTS: 1 })).toBe(1_400);
  });
});
