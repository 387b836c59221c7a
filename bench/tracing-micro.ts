// `npx tsx bench/tracing-micro.ts [requests] [turns]`: the CPU a traced request costs, without PostgreSQL or the
// shop around it (issue 24, item 5). An express route calls a second route through undici, as the services call each
// other: three spans per request when traced (two server spans, one client span). Each mode runs in a child process
// started as a service is (SERVICE_NODE_FLAGS: the same heap bounds), tracing off and on (the kit's startTracing,
// sampler 1.0, OTLP protobuf to a receiver in this process) taking turns; each child reports its own CPU time per
// request. A child's CPU time holds up on a shared machine far better than `pnpm bench`'s req/s, so an SDK option can
// be tried here in a minute (bench/README.md, "Tracing's cost").
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Server } from 'node:http';
import { SERVICE_NODE_FLAGS } from '@shop/devkit';
import { startTracing } from '@shop/kit/tracing';
import { startOtlpReceiver } from '@shop/testkit';

// express and undici as the kit resolves them (the services' own copies).
const load = createRequire(path.join(__dirname, '../packages/kit/package.json'));
const CONCURRENCY = 4;
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
  const before = process.cpuUsage();
  await run(requests);
  const used = process.cpuUsage(before);
  process.send!({ cpuUs: (used.user + used.system) / requests, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) });
  process.exit(0);
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 3000);
  const turns = Number(process.argv[3] ?? 3);
  const receiver = await startOtlpReceiver();
  const measure = (mode: string) =>
    new Promise<{ cpuUs: number; rssMb: number }>((resolve, reject) => {
      const env = { ...process.env, ...(mode === 'on' && { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'always_on' }) };
      const proc = fork(__filename, ['child', mode, String(requests)], { execArgv: SERVICE_NODE_FLAGS, env });
      proc.once('message', resolve);
      proc.once('exit', (code) => reject(new Error(`the ${mode} child exited with ${code} before reporting`)));
    });
  const results: Record<string, number[]> = { off: [], on: [] };
  for (let turn = 0; turn < turns; turn++) {
    for (const mode of ['off', 'on']) {
      const { cpuUs, rssMb } = await measure(mode);
      results[mode]!.push(cpuUs);
      console.log(`turn ${turn + 1}, tracing ${mode}: ${cpuUs.toFixed(0)} µs CPU per request, RSS ${rssMb} MB`);
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const [off, on] = [median(results.off!), median(results.on!)];
  console.log(`median: off ${off.toFixed(0)} µs, on ${on.toFixed(0)} µs per request: +${(on - off).toFixed(0)} µs, ${((on - off) / 3).toFixed(0)} µs per span`);
  console.log(`the receiver took ${receiver.exports.requests} exports, ${Math.round(receiver.exports.bytes / 1024)} KiB`);
  await receiver.close();
}

if (process.argv[2] === 'child') void child(process.argv[3]!, Number(process.argv[4]));
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
