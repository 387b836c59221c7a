// `npx tsx bench/tracing-micro.ts [requests] [turns] [concurrency]`: the CPU a traced request costs, without PostgreSQL
// or the shop around it (issue 24, item 5). An express route calls a second route through undici, as the services call each
// other: three spans per request when traced (two server spans, one client span). Each mode runs in a child process
// started as a service is (SERVICE_NODE_FLAGS: the same heap bounds), tracing off and on (the kit's startTracing,
// sampler 1.0, OTLP protobuf to a receiver in this process) taking turns; each child reports its own CPU time per
// request. A child's CPU time holds up on a shared machine far better than `pnpm bench`'s req/s, so an SDK option can
// be tried here in a minute (bench/README.md, "Tracing's cost"): the children inherit the environment, so e.g.
// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE=512 npx tsx bench/tracing-micro.ts` tries another batch size.
// Each child also splits its CPU between its main thread and V8's helper threads (concurrent marking, parallel
// scavenges) and reports the garbage-collection pauses: a CPU profile only sees the main thread's JavaScript, and
// about half of what tracing adds is garbage collection (bench/results/tracing.md).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { SERVICE_NODE_FLAGS } from '@shop/devkit';
import { startTracing } from '@shop/kit/tracing';
import { startOtlpReceiver } from '@shop/testkit';

// express and undici as the kit resolves them (the services' own copies).
const load = createRequire(path.join(__dirname, '../packages/kit/package.json'));
const CONCURRENCY = Number(process.argv[process.argv[2] === 'child' ? 5 : 4] ?? 4);
/** What this file uses of express and undici (dependencies of the kit, not of the bench). */
type Handler = (req: { params: Record<string, string>; body: unknown }, res: { json: (body: unknown) => void }) => unknown;
interface Express {
  (): {
    use: (handler: unknown) => void;
    post: (route: string, handler: Handler) => void;
    get: (route: string, handler: Handler) => void;
    listen: (port: number, host: string) => Server;
  };
  json: () => unknown;
}
interface Undici {
  Agent: new (options: { connections: number }) => object;
  request: (
    url: string,
    options: { method?: string; headers?: Record<string, string>; body?: string; dispatcher: object },
  ) => Promise<{ body: { json(): Promise<unknown> } }>;
}

/** CPU time in µs by thread name ("MainThread", "V8Worker"…) from /proc (Linux; empty elsewhere). */
function threadCpu(): Record<string, number> {
  const byName: Record<string, number> = {};
  const dir = '/proc/self/task';
  if (!fs.existsSync(dir)) return byName;
  const tick = 10_000; // USER_HZ is 100 on Linux: a clock tick is 10 ms
  for (const task of fs.readdirSync(dir)) {
    const stat = fs.readFileSync(`${dir}/${task}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) * tick;
  }
  return byName;
}

interface Measure {
  cpuUs: number;
  mainUs: number;
  helpersUs: number;
  gcPauseUs: number;
  rssMb: number;
}

async function child(mode: string, requests: number): Promise<void> {
  if (mode === 'on') startTracing('micro'); // before express and undici load, as a service's tracing.ts does
  const express = load('express') as Express;
  const { Agent, request } = load('undici') as Undici;
  const agent = new Agent({ connections: CONCURRENCY * 2 });
  const app = express();
  app.use(express.json());
  let base = '';
  app.post('/outer/:id', async (req, res) => {
    const inner = await request(`${base}/inner/${req.params.id}`, { dispatcher: agent });
    res.json({ inner: await inner.body.json(), body: req.body });
  });
  app.get('/inner/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const one = async (i: number) => {
    const res = await request(`${base}/outer/${i}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: i }),
      dispatcher: agent,
    });
    await res.body.json();
  };
  const run = async (count: number) => {
    for (let i = 0; i < count; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, (_, j) => one(i + j)));
  };
  await run(500); // warm-up: optimised code, open connections
  let gcPause = 0;
  const gc = new PerformanceObserver((list) => list.getEntries().forEach((entry) => (gcPause += entry.duration)));
  gc.observe({ entryTypes: ['gc'] });
  const [before, threadsBefore] = [process.cpuUsage(), threadCpu()];
  await run(requests);
  const [used, threadsAfter] = [process.cpuUsage(before), threadCpu()];
  await new Promise((resolve) => setImmediate(resolve)); // the last pauses' entries
  gc.disconnect();
  const delta = (name: string) => ((threadsAfter[name] ?? 0) - (threadsBefore[name] ?? 0)) / requests;
  const measure: Measure = {
    cpuUs: (used.user + used.system) / requests,
    mainUs: delta('MainThread'),
    helpersUs: delta('V8Worker'),
    gcPauseUs: (gcPause * 1000) / requests,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  process.send!(measure);
  process.exit(0);
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 3000);
  const turns = Number(process.argv[3] ?? 3);
  console.log(
    `${requests} requests a turn, ${turns} turns, ${CONCURRENCY} at a time; load average ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')}`,
  );
  const receiver = await startOtlpReceiver();
  const measure = (mode: string) =>
    new Promise<Measure>((resolve, reject) => {
      const env = { ...process.env, ...(mode === 'on' && { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'always_on' }) };
      const proc = fork(__filename, ['child', mode, String(requests), String(CONCURRENCY)], { execArgv: SERVICE_NODE_FLAGS, env });
      proc.once('message', resolve);
      proc.once('exit', (code) => reject(new Error(`the ${mode} child exited with ${code} before reporting`)));
    });
  const results: Record<string, Measure[]> = { off: [], on: [] };
  for (let turn = 0; turn < turns; turn++) {
    for (const mode of ['off', 'on']) {
      const m = await measure(mode);
      results[mode]!.push(m);
      console.log(
        `turn ${turn + 1}, tracing ${mode}: ${m.cpuUs.toFixed(0)} µs CPU per request (main thread ${m.mainUs.toFixed(0)}, V8 helpers ${m.helpersUs.toFixed(0)}; GC pauses ${m.gcPauseUs.toFixed(0)}), RSS ${m.rssMb} MB`,
      );
    }
  }
  const median = (mode: string, key: keyof Measure) => results[mode]!.map((m) => m[key]).sort((a, b) => a - b)[Math.floor(turns / 2)]!;
  const [off, on] = [median('off', 'cpuUs'), median('on', 'cpuUs')];
  const spread = (mode: string) =>
    `${Math.min(...results[mode]!.map((m) => m.cpuUs)).toFixed(0)}–${Math.max(...results[mode]!.map((m) => m.cpuUs)).toFixed(0)}`;
  console.log(
    `median: off ${off.toFixed(0)} µs (${spread('off')}), on ${on.toFixed(0)} µs (${spread('on')}) per request: +${(on - off).toFixed(0)} µs, ${((on - off) / 3).toFixed(0)} µs per span`,
  );
  const gcShare = median('on', 'helpersUs') - median('off', 'helpersUs') + median('on', 'gcPauseUs') - median('off', 'gcPauseUs');
  console.log(
    `of which garbage collection (V8 helper threads + main-thread pauses): +${gcShare.toFixed(0)} µs; RSS median off ${median('off', 'rssMb')} MB, on ${median('on', 'rssMb')} MB`,
  );
  console.log(`the receiver took ${receiver.exports.requests} exports, ${Math.round(receiver.exports.bytes / 1024)} KiB`);
  await receiver.close();
}

if (process.argv[2] === 'child') void child(process.argv[3]!, Number(process.argv[4]));
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
