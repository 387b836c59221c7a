// BENCH_SOAK: one mixed load for a while, sampling each service's RSS, to show memory stays flat.
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import type { TestSystem } from '@shop/testkit';
import { checkBooks } from './books';
import { rssMb } from './proc';
import { CONNECTIONS, RESULTS, SOAK_SECONDS } from './settings';

/**
 * One mixed load for SOAK_SECONDS (each connection cycles through the scenarios' requests, the purchase
 * among them), RSS sampled every 5 s. Flat means: after the first minute's warm-up, the fitted slope is
 * about zero and the last minute's mean is no higher than the second minute's.
 */
export async function soak(system: TestSystem, scenarios: Array<{ service: string; requests: autocannon.Request[] }>, itemIds: string[]) {
  const services = system.processes.map((p) => p.name);
  const samples: Array<{ t: number; rss: Record<string, number> }> = [];
  const started = Date.now();
  const sample = () => {
    const rss = Object.fromEntries(system.processes.map((p) => [p.name, rssMb(p.child.pid!)]));
    samples.push({ t: (Date.now() - started) / 1000, rss });
  };
  const timer = setInterval(sample, 5000);
  console.log(`soak: ${SOAK_SECONDS} s of mixed load (reads, purchases and refunds) at ${CONNECTIONS} connections …`);
  // autocannon sends to one origin: each service gets its share of the connections.
  const results = await Promise.all(
    scenarios.map((scenario) =>
      autocannon({
        url: scenario.service,
        connections: Math.max(1, Math.round(CONNECTIONS / scenarios.length)),
        duration: SOAK_SECONDS,
        requests: scenario.requests,
      }),
    ),
  );
  clearInterval(timer);
  sample();
  const books = await checkBooks(system, itemIds);
  const mean = (from: number, to: number, name: string) => {
    const window = samples.filter((s) => s.t >= from && s.t < to).map((s) => s.rss[name]!);
    return Math.round(window.reduce((a, b) => a + b, 0) / Math.max(1, window.length));
  };
  /** Least-squares slope of RSS over time after the first minute, in MB per minute. */
  const slope = (name: string) => {
    const points = samples.filter((s) => s.t >= 60).map((s) => [s.t / 60, s.rss[name]!] as const);
    const n = points.length;
    const mx = points.reduce((a, [x]) => a + x, 0) / n;
    const my = points.reduce((a, [, y]) => a + y, 0) / n;
    const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
    const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    return den ? num / den : 0;
  };
  const end = SOAK_SECONDS + 1;
  const requests = results.reduce((sum, r) => sum + r.requests.total, 0);
  const errors = results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0);
  const lines = [
    `Soak measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${SOAK_SECONDS} s of mixed load (${scenarios.length} request kinds incl. purchases and refunds) at ${CONNECTIONS} connections; ${requests} requests, ${errors} errors.`,
    '',
    '| service | RSS MB, minute 2 (mean) | RSS MB, last minute (mean) | peak RSS MB | slope after minute 1 (MB/min) |',
    '|---|---:|---:|---:|---:|',
    ...services.map(
      (name) =>
        `| ${name} | ${mean(60, 120, name)} | ${mean(end - 60, end, name)} | ${Math.max(...samples.map((s) => s.rss[name]!))} | ${slope(name).toFixed(2)} |`,
    ),
    '',
    books.problems.length
      ? `**Books do not balance:** ${books.problems.join('; ')}`
      : `Books after the soak: balanced — ${books.completedUnits} units sold, nothing pending.`,
  ];
  const text = lines.join('\n');
  console.log(`\n${text}`);
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'soak.md'), `${text}\n`);
  if (books.problems.length || errors) process.exitCode = 1;
}
