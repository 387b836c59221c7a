// `pnpm test:compose`: docker-compose.yml for real, in a container engine. Starts podman's Docker-API socket,
// builds the CI stand-in base images when they are not current (docker/ci-standins/build.sh), then runs the
// README's docker-compose steps one by one, exactly as written there (a check below fails when they
// differ): the .env, `up -d --build`, every service healthy, the README's curl session and the Postman
// collection from the host against the published ports, a service restarted and PostgreSQL's container
// recreated with the data intact (named volume), `down -v`. Every step has a deadline; a failure prints
// the failing containers' logs. Its own project name and ports, so it stays out of the way of other stacks.
// Whatever way it ends (passed, failed, timed out, Ctrl-C, SIGTERM) it removes the project's containers,
// volumes and network and stops its podman service, and checks that nothing is left; what a run killed
// with SIGKILL left, the next run removes first. Beside the README's steps, the observability profile's
// Prometheus (a stand-in of Debian's package, same configuration) scrapes the four services with METRICS_TOKEN:
// its HTTP API must show every target up and a recording rule evaluated. Last, the backup round trip
// (scripts/compose-backup.ts): the `backup` profile's one-shot service under purchase load, `pnpm restore` over
// the stack's databases, and the books audit in the sales container.
// Needs root, podman, docker-compose (1.29), debootstrap, curl and jq (docs/testing.md says how).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { backupRoundTrip } from './compose-backup';

const ROOT = path.resolve(__dirname, '..');
const SERVICES = ['customers', 'inventory', 'sales', 'reviews'] as const;
const PROJECT = process.env.COMPOSE_PROJECT_NAME ?? 'shop-ci';
const BASE_PORT = Number(process.env.SHOP_CI_BASE_PORT ?? 18500);
const ports = Object.fromEntries(SERVICES.map((name, i) => [name, BASE_PORT + i])) as Record<(typeof SERVICES)[number], number>;
const url = (name: (typeof SERVICES)[number]) => `http://127.0.0.1:${ports[name]}`;
const PROMETHEUS_PORT = BASE_PORT + SERVICES.length;
const socket = path.join(os.tmpdir(), `shop-ci-podman-${process.pid}.sock`);
// The .env `pnpm compose:env` writes, removed at the end when the run made it: the services' Prisma clients
// read a .env at the repository root, so compose's secrets would reach `pnpm start` and `pnpm test` here.
const ENV_FILE = path.join(ROOT, '.env');
const envFileExisted = fs.existsSync(ENV_FILE);
// The podman service's pid, so a run killed with SIGKILL can have its service stopped by the next run.
const servicePidFile = path.join(os.tmpdir(), `shop-ci-podman-${PROJECT}.pid`);
// The Postman collection subscribes a webhook (and pauses and deletes it before anything it subscribes to
// can happen). The stack runs in production mode, whose SSRF checks refuse loopback and private targets,
// so this is a public address; nothing is ever delivered to it.
const WEBHOOK_URL = 'https://1.1.1.1/shop-ci/hooks';

// Compose reads these by itself: the project name, where the engine is, and the published ports.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  COMPOSE_PROJECT_NAME: PROJECT,
  DOCKER_HOST: `unix://${socket}`,
  COMPOSE_HTTP_TIMEOUT: '600',
  ...Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_PORT`, String(ports[name])])),
  PROMETHEUS_PORT: String(PROMETHEUS_PORT),
};

const MINUTE = 60_000;
const started = Date.now();
const timings: Array<[string, number]> = [];
const log = (line: string) => console.log(`[compose ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

/** The commands running now, each in its own process group: killed when the run is cut short. */
const running = new Set<ChildProcess>();
const killGroup = (child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') => {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
};

/** Runs a command with a deadline (its whole process group is killed then); output goes to the terminal. */
function run(command: string, args: string[], timeoutMs: number, options: { quiet?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...env, ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!options.quiet) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${command} ${args.join(' ')}: no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}${options.quiet ? `:\n${output}` : ''}`));
    });
  });
}

async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  log(`--- ${name}`);
  const start = Date.now();
  const result = await action();
  timings.push([name, (Date.now() - start) / 1000]);
  return result;
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The project's containers as podman sees them. */
interface Container {
  Names: string[];
  State: string;
  ExitCode: number;
  Status: string;
  Labels: Record<string, string>;
}
function containers(): Container[] {
  const out = spawnSync('podman', ['ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', 'json'], { encoding: 'utf8' });
  return out.status === 0 ? JSON.parse(out.stdout || '[]') : [];
}
const serviceOf = (c: Container) => c.Labels['com.docker.compose.service'] ?? c.Names[0]!;
const healthOf = (c: Container) => /\((healthy|unhealthy|starting)\)/.exec(c.Status)?.[1];

// podman runs healthchecks from systemd timers; CI machines have no systemd, so nothing would ever turn a
// container healthy (and `depends_on: service_healthy` would wait forever). This does the timers' job.
let pumping = true;
async function healthcheckPump() {
  while (pumping) {
    for (const c of containers()) {
      if (c.State === 'running' && healthOf(c)) spawnSync('podman', ['healthcheck', 'run', c.Names[0]!], { stdio: 'ignore', timeout: 10_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Every service healthy and every migration exited 0 (an exited migration or service fails at once). */
async function waitHealthy(timeoutMs: number) {
  await until('every service healthy', timeoutMs, () => {
    const all = containers();
    const failed = all.filter((c) => c.State === 'exited' && (c.ExitCode !== 0 || !serviceOf(c).startsWith('migrate-')));
    if (failed.length > 0) throw new Error(`exited: ${failed.map((c) => `${serviceOf(c)} (${c.ExitCode})`).join(', ')}`);
    const waiting = ['postgres', ...SERVICES].filter((name) => !all.some((c) => serviceOf(c) === name && healthOf(c) === 'healthy'));
    return waiting.length === 0;
  });
}

/** Each service container runs `pnpm build`'s dist/server.js, and its image holds no TypeScript of its own. */
function runningCompiled() {
  for (const c of containers().filter((c) => (SERVICES as readonly string[]).includes(serviceOf(c)))) {
    const cmd = JSON.parse(podman(['inspect', '--format', '{{json .Config.Cmd}}', c.Names[0]!]).stdout || 'null') as string[] | null;
    if (cmd?.at(-1) !== 'dist/server.js') throw new Error(`${c.Names[0]} runs ${JSON.stringify(cmd)}, not dist/server.js`);
    const sources = podman(['exec', c.Names[0]!, 'sh', '-c', 'ls -d src /app/packages/kit/src 2>/dev/null; true']).stdout.trim();
    if (sources) throw new Error(`${c.Names[0]}: TypeScript sources in the image: ${sources}`);
  }
}

/** The docker-compose block of the README's "Running elsewhere" section: the steps this script runs. */
function readmeSteps(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- compose-steps -->\n\s*```sh\n([\s\S]*?)\n\s*```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md: no ```sh block after <!-- compose-steps -->');
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));
}
const STEPS = [
  'pnpm compose:env',
  'docker-compose up -d --build',
  'docker-compose ps',
  'docker-compose restart sales',
  'docker-compose up -d --force-recreate --no-deps postgres',
  'docker-compose down -v',
];

/** The README's two curl sessions, run by bash against the published ports with the .env's admin password. */
async function curlSession(adminPassword: string) {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = ['## A session with curl', '### A moderation session'].map((heading) => {
    const block = new RegExp(`${heading}\\n+\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
    if (!block) throw new Error(`README.md: no sh block under "${heading}"`);
    return block;
  });
  let script = `set -eo pipefail\n${blocks.join('\n')}`.replaceAll('admin-dev-password', adminPassword);
  for (const [i, name] of SERVICES.entries()) script = script.replaceAll(`http://127.0.0.1:${5000 + i}`, url(name));
  const output = await run('bash', ['-c', script], 2 * MINUTE);
  // What the README's "→" lines promise.
  for (const expected of [
    '"status":"completed"',
    'Idempotent-Replayed: true',
    '"code":"insufficient_funds"',
    '"code":"insufficient_stock"',
    '"verifiedPurchase":true',
    '"status":"approved"',
  ]) {
    if (!output.includes(expected)) throw new Error(`curl session: no ${expected} in its output`);
  }
}

async function postman(adminPassword: string) {
  const summary = await new Promise<NewmanRunSummary>((resolve, reject) =>
    newman.run(
      {
        collection: JSON.parse(fs.readFileSync(path.join(ROOT, 'postman/shop.postman_collection.json'), 'utf8')),
        environment: JSON.parse(fs.readFileSync(path.join(ROOT, 'postman/shop.postman_environment.json'), 'utf8')),
        envVar: [
          ...SERVICES.map((name) => ({ key: `${name}Url`, value: url(name) })),
          { key: 'adminPassword', value: adminPassword },
          { key: 'webhookUrl', value: WEBHOOK_URL },
        ],
        reporters: ['cli'],
        timeoutRequest: 10_000,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
  const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? ''} ${f.error.message}`);
  if (failures.length > 0) throw new Error(`newman: ${failures.join('; ')}`);
}

async function get(name: (typeof SERVICES)[number], route: string, token?: string): Promise<any> {
  const response = await fetch(url(name) + route, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${name} ${route}: ${response.status}`);
  return response.json();
}

/** What the curl session left behind, read back after the restarts: it must all still be there. */
async function aliceState() {
  const login = await fetch(`${url('customers')}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'correct-horse-battery' }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!login.ok) throw new Error(`alice cannot log in: ${login.status}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const customer = await get('customers', '/customers/alice', accessToken);
  const sales = await get('sales', '/sales', accessToken);
  const sale = sales.data[0];
  const reviews = await get('reviews', `/items/${sale.itemId}/reviews`);
  const item = await get('inventory', `/items/${sale.itemId}`);
  return { balanceCents: customer.balanceCents, sales: sales.data.length, stock: item.stockCount, reviews: reviews.data.map((r: any) => r.status) };
}

/** Prometheus' HTTP API (the `data` of its answer). */
async function prometheus(route: string): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/${route}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`Prometheus ${route}: ${response.status}`);
  return ((await response.json()) as { data: unknown }).data;
}

/** The profile's Prometheus scrapes the four services (with METRICS_TOKEN) and evaluates the recording rules. */
async function observed() {
  let targets: Array<{ labels: { service: string }; health: string; lastError: string }> = [];
  await until('every Prometheus target up', 3 * MINUTE, async () => {
    targets = (await prometheus('targets').catch(() => ({ activeTargets: [] }))).activeTargets;
    return targets.length === SERVICES.length && targets.every((target) => target.health === 'up');
  }).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(targets.map((t) => [t.labels.service, t.health, t.lastError]))}`);
  });
  log(`Prometheus targets up: ${targets.map((target) => target.labels.service).join(', ')}`);
  let samples: Array<{ metric: { service: string }; value: [number, string] }> = [];
  await until('a recording rule evaluated', 3 * MINUTE, async () => {
    samples = (await prometheus('query?query=service%3Ahttp_requests%3Arate5m').catch(() => ({ result: [] }))).result;
    return SERVICES.every((name) => samples.some((sample) => sample.metric.service === name));
  });
  log(`service:http_requests:rate5m = ${samples.map((s) => `${s.metric.service} ${Number(s.value[1]).toFixed(3)}`).join(', ')}`);
}

function printFailure() {
  const all = containers();
  console.error(spawnSync('docker-compose', ['ps'], { cwd: ROOT, env, encoding: 'utf8' }).stdout);
  const failing = all.filter(
    (c) =>
      (c.State === 'exited' && c.ExitCode !== 0) ||
      (c.State === 'running' && healthOf(c) !== undefined && healthOf(c) !== 'healthy') ||
      (c.State !== 'running' && c.State !== 'exited'),
  );
  for (const c of failing.length > 0 ? failing : all) {
    console.error(`\n===== logs of ${c.Names[0]} (${c.State}, ${c.Status}) =====`);
    console.error(spawnSync('podman', ['logs', '--tail', '200', c.Names[0]!], { encoding: 'utf8' }).output.join(''));
    const health = spawnSync('podman', ['inspect', '--format', '{{json .State.Health.Log}}', c.Names[0]!], { encoding: 'utf8' }).stdout;
    const last = (JSON.parse(health || 'null') as Array<{ ExitCode: number; Output: string }> | null)?.at(-1);
    if (last) console.error(`----- its last healthcheck: exit ${last.ExitCode}\n${last.Output}`);
  }
}

function imageSizes() {
  const images = [
    'docker.io/library/node:24-slim',
    'docker.io/library/postgres:17',
    'docker.io/prom/prometheus:v2.55.1',
    ...SERVICES.map((name) => `shop/${name}:latest`),
  ];
  return images.map((image) => {
    const size = spawnSync('podman', ['image', 'inspect', '--format', '{{.Size}}', image], { encoding: 'utf8' }).stdout.trim();
    return `${image} ${(Number(size) / 1e6).toFixed(0)} MB`;
  });
}

// ---- Cleaning up: after a pass, a failure, a timeout or a signal, and what a killed run left ----

const podman = (args: string[]) => spawnSync('podman', args, { encoding: 'utf8', timeout: MINUTE });
const projectLabel = `label=com.docker.compose.project=${PROJECT}`;

/** What podman still holds of this project: its containers, volumes and networks (compose labels them all). */
function leftovers(): string[] {
  const list = (kind: string, args: string[]) =>
    podman(args)
      .stdout.split('\n')
      .filter(Boolean)
      .map((id) => `${kind} ${id.slice(0, 12)}`);
  return [
    ...list('container', ['ps', '-aq', '--filter', projectLabel]),
    ...list('volume', ['volume', 'ls', '-q', '--filter', projectLabel]),
    ...list('network', ['network', 'ls', '-q', '--filter', projectLabel]),
  ];
}

/** Removes them with podman itself, which needs no API service: for when docker-compose could not. */
function removeLeftovers() {
  const ids = (args: string[]) => podman(args).stdout.split('\n').filter(Boolean);
  const containerIds = ids(['ps', '-aq', '--filter', projectLabel]);
  if (containerIds.length > 0) podman(['rm', '--force', '--time', '5', ...containerIds]);
  const volumeIds = ids(['volume', 'ls', '-q', '--filter', projectLabel]);
  if (volumeIds.length > 0) podman(['volume', 'rm', '--force', ...volumeIds]);
  const networkIds = ids(['network', 'ls', '-q', '--filter', projectLabel]);
  if (networkIds.length > 0) podman(['network', 'rm', '--force', ...networkIds]);
}

/** Stops the podman service of an earlier run that was killed before it could (its pid file names it). */
function stopStaleService() {
  const pid = Number(fs.existsSync(servicePidFile) ? fs.readFileSync(servicePidFile, 'utf8') : NaN);
  fs.rmSync(servicePidFile, { force: true });
  if (!Number.isInteger(pid)) return;
  // Only if that pid is still a podman service on one of our sockets (pids are reused).
  const args = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') : [];
  const staleSocket = args.find((arg) => arg.startsWith(`unix://${path.join(os.tmpdir(), 'shop-ci-podman-')}`));
  if (!args.includes('service') || !staleSocket) return;
  log(`stopping the podman service (pid ${pid}) an earlier run left`);
  process.kill(pid, 'SIGTERM');
  fs.rmSync(staleSocket.slice('unix://'.length), { force: true });
}

/** True when nothing listens on the port (podman publishes on every address, so check them all). */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });

async function busyPorts(): Promise<number[]> {
  const busy: number[] = [];
  for (const port of [...Object.values(ports), PROMETHEUS_PORT]) if (!(await portFree(port))) busy.push(port);
  return busy;
}

/**
 * `docker-compose down -v` (the README's last step), then whatever it could not remove, then the podman
 * service; afterwards nothing of the project may remain. Once per run, whoever asks first (the end of the
 * run or a signal). Resolves with what went wrong: a failing `down -v` or anything left behind.
 */
let cleaning: Promise<string[]> | undefined;
function cleanUp(service: ChildProcess): Promise<string[]> {
  cleaning ??= (async () => {
    const problems: string[] = [];
    pumping = false;
    for (const child of running) killGroup(child);
    await step(STEPS[5]!, () => run('bash', ['-c', STEPS[5]!], 3 * MINUTE)).catch((error: Error) => problems.push(`${STEPS[5]} failed: ${error.message}`));
    removeLeftovers();
    const exited = new Promise((resolve) => (service.exitCode !== null || service.signalCode !== null ? resolve(undefined) : service.once('exit', resolve)));
    killGroup(service, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    killGroup(service);
    await exited;
    fs.rmSync(socket, { force: true });
    fs.rmSync(servicePidFile, { force: true });
    if (!envFileExisted) fs.rmSync(ENV_FILE, { force: true });
    const left = leftovers();
    if (left.length > 0) problems.push(`left behind: ${left.join(', ')}`);
    const busy = await busyPorts();
    if (busy.length > 0) problems.push(`ports still in use: ${busy.join(', ')}`);
    return problems;
  })();
  return cleaning;
}

async function main() {
  const steps = readmeSteps();
  if (JSON.stringify(steps) !== JSON.stringify(STEPS)) {
    throw new Error(`README's compose steps differ from what this test runs:\n  README: ${steps.join(' | ')}\n  test:   ${STEPS.join(' | ')}`);
  }
  const compose = (command: string, timeoutMs: number) => run('bash', ['-c', command], timeoutMs);

  // What an earlier run killed with SIGKILL may have left: its service, the project's containers.
  stopStaleService();
  removeLeftovers();
  const busy = await busyPorts();
  if (busy.length > 0) throw new Error(`ports ${busy.join(', ')} are in use by another program (SHOP_CI_BASE_PORT moves the stack's ports)`);

  // Its own process group: a terminal's Ctrl-C reaches only this script, which still needs the service for `down -v`.
  const service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { stdio: 'inherit', detached: true });
  fs.writeFileSync(servicePidFile, String(service.pid));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanUp(service).then((problems) => {
        for (const problem of problems) console.error(problem);
        process.exit(128 + os.constants.signals[signal]);
      });
    });
  }

  let failure: Error | undefined;
  try {
    await step('podman API socket', () =>
      until(
        'podman system service',
        MINUTE,
        () =>
          new Promise((resolve) =>
            http.get({ socketPath: socket, path: '/_ping' }, (res) => resolve(res.statusCode === 200)).on('error', () => resolve(false)),
          ),
      ),
    );
    // Three debootstraps at once: on a machine loaded by other work they took over 15 minutes.
    await step('stand-in base images (docker/ci-standins/build.sh)', () => run('bash', ['docker/ci-standins/build.sh'], 30 * MINUTE));
    void healthcheckPump();

    await step(STEPS[0]!, () => compose(STEPS[0]!, MINUTE));
    const upStart = Date.now();
    await step(STEPS[1]!, () => compose(STEPS[1]!, 15 * MINUTE));
    await step('every service healthy', () => waitHealthy(3 * MINUTE));
    timings.push(['up to healthy (total)', (Date.now() - upStart) / 1000]);
    await step(STEPS[2]!, () => compose(STEPS[2]!, MINUTE));
    await step('the services run compiled', () => Promise.resolve(runningCompiled()));
    await step('docker-compose --profile observability up -d --no-deps prometheus', () =>
      compose('docker-compose --profile observability up -d --no-deps prometheus', 2 * MINUTE),
    );
    await step('Prometheus scrapes every service', () => observed());

    const adminPassword = /^ADMIN_PASSWORD=(.*)$/m.exec(fs.readFileSync(ENV_FILE, 'utf8'))?.[1];
    if (!adminPassword) throw new Error('.env has no ADMIN_PASSWORD');
    await step("README's curl session", () => curlSession(adminPassword));
    await step('Postman collection (newman)', () => postman(adminPassword));
    const before = await aliceState();
    log(`state: ${JSON.stringify(before)}`);

    await step(STEPS[3]!, () => compose(STEPS[3]!, 2 * MINUTE));
    await step(STEPS[4]!, () => compose(STEPS[4]!, 2 * MINUTE));
    await step('every service healthy again', () => waitHealthy(3 * MINUTE));
    const after = await step('data intact', () => aliceState());
    if (JSON.stringify(after) !== JSON.stringify(before))
      throw new Error(`data changed across the restart: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    await backupRoundTrip({ step, run, log, url, waitHealthy, project: PROJECT, envFile: ENV_FILE });
  } catch (error) {
    printFailure();
    failure = error instanceof Error ? error : new Error(String(error));
  }
  const sizes = imageSizes();
  const problems = await cleanUp(service);
  log('timings (s):');
  for (const [name, seconds] of timings) console.log(`  ${seconds.toFixed(1).padStart(7)}  ${name}`);
  console.log('image sizes:');
  for (const line of sizes) console.log(`  ${line}`);
  if (failure) {
    for (const problem of problems) console.error(problem);
    throw failure;
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}

main().then(
  () => {
    log(`compose stage passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    process.exit(0);
  },
  (error: Error) => {
    console.error(`\ncompose stage FAILED: ${error.message}`);
    process.exit(1);
  },
);
