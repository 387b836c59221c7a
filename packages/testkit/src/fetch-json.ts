/** An answer to fetchJson; status 0 when there was no answer at all (refused, reset, timed out, not JSON). */
export interface JsonAnswer {
  status: number;
  body: any;
  /** The body as sent (empty without an answer). */
  text: string;
  headers: Headers | undefined;
  /** From the request to the whole body read. */
  ms: number;
}

/**
 * One request as a client sends it (JSON body, bearer token) that never throws: the chaos soak and the database
 * fault tests count what comes back, no answer included, instead of stopping at the first failure.
 */
export async function fetchJson(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs: number },
): Promise<JsonAnswer> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...(options.token && { authorization: `Bearer ${options.token}` }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    return { status: res.status, body, text, headers: res.headers, ms: performance.now() - started };
  } catch {
    return { status: 0, body: undefined, text: '', headers: undefined, ms: performance.now() - started };
  }
}
