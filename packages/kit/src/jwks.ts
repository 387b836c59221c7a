import crypto from 'node:crypto';
import { z } from 'zod';
import { jwksRefreshes } from './kit-metrics';
import type { Logger } from './logging';

/** What a verifier needs of the keys: the parsed public key of a `kid`, or none. */
export type KeyResolver = (kid: string) => Promise<crypto.KeyObject | string | undefined>;

export interface KeyStoreOptions {
  jwksUri: string;
  logger: Logger;
  /** How often the whole key set is fetched again once held (a new key is known within this, whatever is sent). */
  refreshMs?: number;
  /** Until the first key set is held, how often to try again. */
  retryMs?: number;
  /**
   * An unknown `kid` may cause one fetch (shared by every request then waiting) at most this often. Anything an
   * attacker sends costs customers at most one request per this interval, and never makes a held key fail.
   */
  unknownKidFetchMs?: number;
  timeoutMs?: number;
}

const MAX_KEYS = 64;
const MAX_BYTES = 256 * 1024;
// Each key is checked on its own below: one key of a kind we do not use must not hide the others.
const jwksSchema = z.object({ keys: z.array(z.unknown()).max(MAX_KEYS) });

/** The usable RSA keys of a JWKS document, by kid; a key that does not parse is skipped. */
function parseKeySet(body: unknown): Map<string, crypto.KeyObject> {
  const keys = new Map<string, crypto.KeyObject>();
  for (const candidate of jwksSchema.parse(body).keys) {
    const jwk = (candidate ?? {}) as { kid?: unknown; kty?: unknown; use?: unknown };
    if (typeof jwk.kid !== 'string' || jwk.kid.length > 200 || jwk.kty !== 'RSA' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    try {
      keys.set(jwk.kid, crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' }));
    } catch {
      // Not a usable RSA public key: the others still are.
    }
  }
  return keys;
}

/**
 * The whole key set customers publishes, held in memory: loaded at start-up (retried until it is; `isReady`
 * says whether it has been), fetched again on a timer, and kept as it is when a fetch fails. A token naming
 * a `kid` we do not hold is answered from memory, except that at most one fetch per `unknownKidFetchMs` is
 * made for such tokens (a key rotation done without publishing the new key first), shared by every request.
 */
export function jwksKeyStore(options: KeyStoreOptions) {
  const { jwksUri, logger, refreshMs = 60_000, retryMs = 1_000, unknownKidFetchMs = 30_000, timeoutMs = 2_000 } = options;
  let keys = new Map<string, crypto.KeyObject>();
  let loaded = false;
  let inFlight: Promise<void> | undefined;
  let lastUnknownKidFetch = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastProblem: string | undefined;

  async function fetchKeys(): Promise<void> {
    const response = await fetch(jwksUri, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${jwksUri} answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_BYTES) throw new Error(`${jwksUri} sent more than ${MAX_BYTES} bytes`);
    const next = parseKeySet(JSON.parse(text));
    if (next.size === 0) throw new Error(`${jwksUri} holds no usable RSA signing key`);
    keys = next;
    if (!loaded || lastProblem) logger.info({ keys: next.size }, 'token signing keys loaded');
    loaded = true;
    lastProblem = undefined;
    jwksRefreshes.inc({ outcome: 'ok' });
  }

  /** One fetch at a time, whoever asks; a failure keeps the keys held and is logged once per cause. */
  const refresh = () =>
    (inFlight ??= fetchKeys()
      .catch((error: unknown) => {
        jwksRefreshes.inc({ outcome: 'failed' });
        const problem = error instanceof Error ? error.message : String(error);
        if (problem !== lastProblem) logger.warn({ problem, keysHeld: keys.size }, 'could not fetch the token signing keys; keeping those held');
        lastProblem = problem;
      })
      .finally(() => (inFlight = undefined)));

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void refresh().then(schedule), loaded ? refreshMs : retryMs).unref();
  };
  void refresh().then(schedule);

  const resolve: KeyResolver = async (kid) => {
    const held = keys.get(kid);
    if (held) return held;
    if (inFlight) await inFlight;
    else if (Date.now() - lastUnknownKidFetch >= unknownKidFetchMs) {
      lastUnknownKidFetch = Date.now();
      await refresh();
    }
    return keys.get(kid);
  };

  return {
    resolve,
    /** True once a key set is held (a verifier is not ready before). */
    isReady: () => loaded,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
export type KeyStore = ReturnType<typeof jwksKeyStore>;
