// The report: the results table (bench/results/latest.md and .json), with the CPU per request and the books.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Books } from './books';
import { WARMUP_SECONDS } from './load';
import { CONNECTIONS, DURATION, ONLY, OPEN_LOOP_FRACTIONS, P99_TARGET_MS, RESULTS, ROUNDS } from './settings';

/** One scenario's figures, and its ceiling's when it has one. */
export type Row = {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  ceilingRps?: number;
  ceilingP99?: number;
  ratio?: number;
  rssMb: Record<string, number>;
  /** CPU µs per request by party (services, postgres, loadgen), for the shop and for its ceiling. */
  cpuUs: Record<string, number>;
  ceilingCpuUs?: Record<string, number>;
  /** The highest offered rate (open loop) whose p99 stayed within P99_TARGET_MS, and that p99. */
  atTarget?: { rate: number; p99: number } | null;
};

export const openLoop = (row: Row) =>
  row.atTarget
    ? `${row.atTarget.rate} req/s (p99 ${row.atTarget.p99} ms)`
    : row.atTarget === null
      ? `none down to ${Math.round(OPEN_LOOP_FRACTIONS.at(-1)! * row.rps)} req/s`
      : '–';

export function report(rows: Row[], books: Books | undefined, webhooks?: { delivered: number; pending: number; failed: number; received: number }) {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const services = ['customers', 'inventory', 'sales', 'reviews'];
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; ${CONNECTIONS} connections; each scenario ${ROUNDS} rounds of ${DURATION} s, taking turns with its ceiling, after ${WARMUP_SECONDS} s of warm-up; services ${process.env.BENCH_TSX ? 'through tsx' : 'compiled (as the image runs them)'} at log level ${process.env.BENCH_LOG_LEVEL ?? 'info'}; load generator, services and PostgreSQL share the machine.`,
    '',
    `| scenario | req/s | p50 ms | p99 ms | errors | ceiling req/s | ceiling p99 ms | of ceiling | fixed rate at p99 ≤ ${P99_TARGET_MS} ms | peak RSS MB (${services.join(' / ')}) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.ceilingRps ?? '–'} | ${r.ceilingP99 ?? '–'} | ${r.ratio ? `${(r.ratio * 100).toFixed(0)}%` : '–'} | ${openLoop(r)} | ${services.map((s) => r.rssMb[s] ?? '?').join(' / ')} |`,
    ),
    '',
    `CPU time per request in µs, by process (the machine has ${os.availableParallelism()} cores, so 1,000,000 µs of CPU per second per core is all there is):`,
    '',
    `| scenario | ${services.join(' | ')} | postgres | load generator | total | ceiling: node | postgres | load generator | total |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
      const c = r.ceilingCpuUs;
      return `| ${r.scenario} | ${services.map((s) => r.cpuUs[s] ?? '?').join(' | ')} | ${r.cpuUs.postgres} | ${r.cpuUs.loadgen} | ${total(r.cpuUs)} | ${
        c ? `${c.ceiling} | ${c.postgres} | ${c.loadgen} | ${total(c)}` : '– | – | – | –'
      } |`;
    }),
    '',
    books
      ? books.problems.length
        ? `**Books do not balance:** ${books.problems.join('; ')}`
        : `Books after the purchase and refund runs: balanced — ${books.completedUnits} units sold and ${books.refundedUnits} refunded and restocked (the shop's and the ceiling's, same tables), stock, wallets (each equal to its ledger), sales and refunds agree, nothing pending.`
      : '',
    webhooks
      ? `Webhooks: the purchase scenario runs in turns without and with one active subscription to sale.completed (a receiver in the load generator's process answering 204); afterwards ${webhooks.delivered} deliveries delivered, ${webhooks.pending} pending, ${webhooks.failed} failed; the receiver got ${webhooks.received} requests.`
      : '',
  ];
  const text = lines.join('\n');
  console.log(`\n${text}`);
  fs.mkdirSync(RESULTS, { recursive: true });
  if (ONLY) return; // a partial run does not replace the latest full table
  fs.writeFileSync(path.join(RESULTS, 'latest.md'), `${text}\n`);
  fs.writeFileSync(
    path.join(RESULTS, 'latest.json'),
    JSON.stringify({ machine, connections: CONNECTIONS, durationSeconds: DURATION, rounds: ROUNDS, rows, books }, null, 2),
  );
}
