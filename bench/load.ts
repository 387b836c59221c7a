// Load with autocannon, measured: each round's throughput and latency with the CPU and memory it cost, and the
// fixed rate that keeps p99 within its target.
import autocannon from 'autocannon';
import type { TestSystem } from '@shop/testkit';
import { cpuDuring, withRss } from './proc';
import type { Row } from './report';
import { CONNECTIONS, DURATION, OPEN_LOOP_FRACTIONS, P99_TARGET_MS } from './settings';

/** Unmeasured load before each measurement, so JIT warm-up and new pool connections are not in the figures. */
export const WARMUP_SECONDS = 2;
export async function warmUp(url: string, requests: autocannon.Request[]) {
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_SECONDS, requests });
}

export async function load(title: string, url: string, requests: autocannon.Request[], connections = CONNECTIONS, overallRate?: number) {
  // At a fixed rate autocannon "corrects" each latency for coordinated omission with an expected interval of
  // ceil(1 / rate) ms — 1 ms at any rate ≥ 1/s — which invents samples for every answer slower than 1 ms. Below
  // capacity nothing is omitted, so the latencies are recorded as measured.
  const result = await autocannon({
    title,
    url,
    connections,
    duration: DURATION,
    requests,
    ...(overallRate && { overallRate, ignoreCoordinatedOmission: true }),
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMb: Record<string, number>;
  /** CPU milliseconds by party during the run. */
  cpuMs: Record<string, number>;
}

export async function measure(system: TestSystem, pids: Record<string, number>, url: string, requests: autocannon.Request[]): Promise<Measured> {
  const [[result, rssMb], cpuMs] = await cpuDuring(pids, () => withRss(system, () => load(url, url, requests)));
  return { ...result, rssMb, cpuMs };
}

/** The highest of falling fixed rates (fractions of the closed-loop rate) whose p99 stays within P99_TARGET_MS. */
export async function rateAtTarget(url: string, requests: autocannon.Request[], closedLoopRps: number): Promise<{ rate: number; p99: number } | null> {
  for (const fraction of OPEN_LOOP_FRACTIONS) {
    const rate = Math.max(1, Math.round(closedLoopRps * fraction));
    const result = await load(url, url, requests, CONNECTIONS, rate);
    if (result.errors === 0 && result.p99 <= P99_TARGET_MS) return { rate, p99: result.p99 };
  }
  return null;
}

/** Rounds of equal length: mean throughput, median p50, worst p99, all errors, peak RSS, CPU per request. */
export function combine(rounds: Measured[]): Omit<Row, 'scenario'> {
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const rps = rounds.reduce((sum, r) => sum + r.rps, 0) / rounds.length;
  const requests = Math.max(
    1,
    rounds.reduce((sum, r) => sum + r.rps * DURATION, 0),
  );
  const parties = Object.keys(rounds[0]!.cpuMs);
  const services = Object.keys(rounds[0]!.rssMb);
  return {
    rps: Math.round(rps),
    p50: sorted(rounds.map((r) => r.p50))[Math.floor(rounds.length / 2)]!,
    p99: Math.max(...rounds.map((r) => r.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    rssMb: Object.fromEntries(services.map((name) => [name, Math.max(...rounds.map((r) => r.rssMb[name] ?? 0))])),
    cpuUs: Object.fromEntries(parties.map((name) => [name, Math.round((rounds.reduce((sum, r) => sum + r.cpuMs[name]!, 0) * 1000) / requests)])),
  };
}
