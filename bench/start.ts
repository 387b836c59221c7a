// `pnpm bench:start`: how long each service takes from spawn to its first /ready 200, and its RSS right
// then, run three ways: through tsx with an empty transpile cache (what a fresh container did before the
// images ran compiled code), through tsx with a warm cache (`pnpm start` after the first time), and compiled
// (`pnpm build`'s dist/, as the images run it now). Same flags otherwise (packages/devkit/src/services.ts).
// Each service starts alone on the run's migrated database with production settings; the ways take turns
// within each round so that a change in the machine's load falls on all of them. Medians of BENCH_RUNS
// (5) rounds; readiness is polled every 50 ms. Builds first. Run by hand, on a quiet machine.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, SERVICES, startService, type ServiceName } from '@shop/devkit';
import { startTestSystem } from '@shop/testkit/src/system';
import { loadAverage } from './proc';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = path.resolve(__dirname, '..');
const WAYS = ['tsx, empty cache', 'tsx, warm cache', 'compiled'] as const;
type Way = (typeof WAYS)[number];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const rssMb = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function measure(name: ServiceName, env: Record<string, string>, way: Way) {
  // tsx keeps its transpile cache under the temp folder: a folder of its own per start empties it.
  const tmp = way === 'tsx, empty cache' ? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-start-')) : undefined;
  const started = performance.now();
  const service = await startService(
    name,
    { ...env, PORT: String(await freePort()), ...(tmp && { TMPDIR: tmp }) },
    { stdio: 'ignore', compiled: way === 'compiled' },
  );
  const ms = performance.now() - started;
  const rss = rssMb(service.child.pid!);
  await service.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  return { ms, rss };
}

async function main() {
  console.log(`load average before: ${loadAverage(2)} (${os.cpus().length} cores)`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  const system = await startTestSystem({ nodeEnv: 'production', stdio: 'ignore' });
  await Promise.all(system.processes.map((p) => p.stop())); // only its migrated databases and settings are used
  const names = Object.keys(SERVICES) as ServiceName[];
  const results = new Map<string, { ms: number[]; rss: number[] }>();
  try {
    for (const name of names) await measure(name, system.context.env[name], 'tsx, warm cache'); // warms the cache
    for (let run = 1; run <= RUNS; run++) {
      for (const name of names) {
        for (const way of WAYS) {
          const { ms, rss } = await measure(name, system.context.env[name], way);
          const entry = results.get(`${name}/${way}`) ?? { ms: [], rss: [] };
          entry.ms.push(ms);
          entry.rss.push(rss);
          results.set(`${name}/${way}`, entry);
        }
      }
      console.log(`round ${run}/${RUNS} done`);
    }
  } finally {
    await system.stop();
  }
  console.log(`load average after: ${loadAverage(2)}`);
  console.log(`\nmedian of ${RUNS} starts: spawn → first /ready 200 (RSS then)\n`);
  console.log(`| service | ${WAYS.join(' | ')} |`);
  console.log(`|---|${WAYS.map(() => '---').join('|')}|`);
  for (const name of names) {
    const cells = WAYS.map((way) => {
      const { ms, rss } = results.get(`${name}/${way}`)!;
      return `${(median(ms) / 1000).toFixed(2)} s, ${median(rss).toFixed(0)} MB`;
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
