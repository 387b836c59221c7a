// `pnpm bench:scale`'s measurement of one endpoint: sequential requests for the latency (p50 / p95), then a
// closed loop of autocannon connections for the throughput.
import autocannon from 'autocannon';
import type { ServiceName } from '@shop/devkit';
import { percentile, type Measurement } from './scale-report';

export interface EndpointRequest {
  method?: 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Endpoint {
  name: string;
  service: ServiceName;
  /** Each call may name another id or customer. */
  request: () => EndpointRequest;
  /** The status every answer should have (unless given: any 2xx, or 304). */
  expect?: number;
}

export async function measureEndpoint(base: string, endpoint: Endpoint, sequential: number, seconds: number, connections: number): Promise<Measurement> {
  const ok = (status: number) => (endpoint.expect ? status === endpoint.expect : (status >= 200 && status < 300) || status === 304);
  const latencies: number[] = [];
  let errors = 0;
  // Unmeasured but checked: the first requests open pool connections and warm the code.
  for (let i = 0; i < 5; i++) if (!ok(await send(base, endpoint.request()))) errors++;
  for (let i = 0; i < sequential; i++) {
    const started = performance.now();
    const status = await send(base, endpoint.request());
    latencies.push(performance.now() - started);
    if (!ok(status)) errors++;
  }
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const { method = 'GET', path, headers = {}, body } = endpoint.request();
          return { ...req, method, path, headers, ...(body !== undefined && { body }) };
        },
      },
    ],
  });
  // Answers counted by status class over the measured duration (the per-second samples miss the last second).
  const loadRequests = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  const stats = result.statusCodeStats as Record<string, { count?: number } | undefined> | undefined;
  const expectedCount = endpoint.expect ? (stats?.[String(endpoint.expect)]?.count ?? 0) : result['2xx'] + (stats?.['304']?.count ?? 0);
  const loadFailed = result.errors + result.timeouts + loadRequests - expectedCount;
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    rps: loadRequests / (result.duration || seconds),
    errors: errors + Math.max(0, loadFailed),
    requests: sequential + loadRequests,
  };
}

async function send(base: string, request: EndpointRequest): Promise<number> {
  const res = await fetch(`${base}${request.path}`, {
    method: request.method ?? 'GET',
    headers: request.headers,
    ...(request.body !== undefined && { body: request.body }),
  }).catch(() => undefined);
  if (!res) return 0;
  await res.arrayBuffer();
  return res.status;
}
