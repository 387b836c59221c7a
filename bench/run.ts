// `pnpm bench`: starts the real shop on its own databases (production settings, fsync on), seeds it,
// measures each scenario under concurrent load for a fixed time, measures the same questions against a
// bare node:http + pg ceiling, checks the books after the purchases, and writes the table to
// bench/results/. Run by hand; never part of the pass/fail test run.
import { fork } from 'node:child_process';
import path from 'node:path';
import type autocannon from 'autocannon';
import { freePort } from '@shop/devkit';
import { startOtlpReceiver, startTestSystem } from '@shop/testkit';
import { checkBooks, type Books } from './books';
import { combine, measure, rateAtTarget, warmUp, type Measured } from './load';
import { openLoop, report, type Row } from './report';
import { seed, webhookSubscription } from './seed';
import {
  BCRYPT_ROUNDS,
  CUSTOMERS,
  ITEMS,
  ONLY,
  P99_TARGET_MS,
  PG_SETTINGS,
  PROFILE_DIR,
  query,
  REFUND_SALES,
  REFUND_UNITS,
  REVIEWS_PER_ITEM,
  ROUNDS,
  SOAK_SECONDS,
} from './settings';
import { soak } from './soak';

async function main() {
  // BENCH_TRACING=on: every service traces every request (sampler 1.0) and exports OTLP/HTTP protobuf to a receiver
  // in this process (bench/results/tracing.md compares it with a run without).
  const receiver = process.env.BENCH_TRACING === 'on' ? await startOtlpReceiver() : undefined;
  if (receiver) console.log(`tracing on: sampler always_on, exporting to ${receiver.endpoint}`);
  console.log(`starting the shop (production settings, fsync on, ${process.env.BENCH_TSX ? 'TypeScript through tsx' : 'compiled'}) …`);
  const system = await startTestSystem({
    nodeEnv: 'production',
    bcryptRounds: BCRYPT_ROUNDS,
    fsync: true,
    // As the image runs it: pnpm build's JavaScript (`pnpm bench` builds first). BENCH_TSX=1 runs the TypeScript through tsx.
    compiled: !process.env.BENCH_TSX,
    // A short sweep so that purchases left pending by a timeout are settled before the books are checked.
    env: {
      // The production default: every request's log line is written (to /dev/null here, as to a collector there).
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      SWEEP_AGE_MS: '40000',
      SWEEP_INTERVAL_MS: '2000',
      ...(receiver && { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'always_on' }),
      ...(process.env.BENCH_POOL_SIZE && { DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE }),
      ...(PROFILE_DIR && { NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile.cjs')}`, BENCH_PROFILE_DIR: path.resolve(PROFILE_DIR) }),
    },
    stdio: process.env.BENCH_SHOW_LOGS ? 'inherit' : 'ignore',
  });
  const ceilingPort = await freePort();
  const ceiling = fork(path.join(__dirname, 'ceiling.ts'), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      PORT: String(ceilingPort),
      CUSTOMERS_DATABASE_URL: system.context.databaseUrls.customers,
      INVENTORY_DATABASE_URL: system.context.databaseUrls.inventory,
      SALES_DATABASE_URL: system.context.databaseUrls.sales,
      REVIEWS_DATABASE_URL: system.context.databaseUrls.reviews,
    },
  });
  await new Promise((resolve) => ceiling.once('message', resolve));
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}`;
  const rows: Row[] = [];
  let hooks: Awaited<ReturnType<typeof webhookSubscription>> | undefined;
  try {
    console.log(`seeding ${ITEMS} items, ${CUSTOMERS} customers, ${ITEMS * REVIEWS_PER_ITEM} reviews …`);
    const { itemIds, customers, tokens, adminToken } = await seed(system);
    hooks = await webhookSubscription(system, adminToken);
    let webhooks: Awaited<ReturnType<NonNullable<typeof hooks>['settle']>> | undefined;
    // Fresh statistics now, rather than autovacuum waking up after the bulk inserts in the middle of a scenario.
    for (const url of Object.values(system.context.databaseUrls)) await query(url, 'VACUUM ANALYZE');
    for (const [name, value] of PG_SETTINGS) {
      if (!/^[a-z_]+$/.test(name) || !/^[\w.]+$/.test(value)) throw new Error(`BENCH_PG_SETTINGS: cannot set ${name}=${value}`);
      await query(system.context.databaseUrls.customers, `ALTER SYSTEM SET ${name} = '${value}'`);
    }
    if (PG_SETTINGS.length) await query(system.context.databaseUrls.customers, 'SELECT pg_reload_conf()');
    const { urls } = system.context;
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
    /** What the ceiling's purchase needs of a buyer: who, and the live session the debit is checked against. */
    const asBuyer = (customer: { id: string; sessionId: string }) => ({ customerId: customer.id, sessionId: customer.sessionId });
    /** A purchase by a random customer, with the body `order()` gives. */
    const purchaseBySomeone = (order: () => unknown): autocannon.Request => ({
      method: 'POST',
      setupRequest: (req) => ({
        ...req,
        path: '/sales',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${pick(tokens)}` },
        body: JSON.stringify(order()),
      }),
    });

    // Refunds need sales to refund: one unit per request, handed out in turn to the shop and its ceiling from
    // sales bought before that scenario (REFUND_SALES sales of REFUND_UNITS units), so no request finds nothing left.
    const refundSlots: Array<{ saleId: string; itemId: string; customer: number }> = [];
    let nextSlot = 0;
    const slot = () => refundSlots[nextSlot++ % refundSlots.length]!;
    const buyForRefunds = async () => {
      const bought: Array<{ saleId: string; itemId: string; customer: number }> = [];
      for (let i = 0; i < REFUND_SALES; i += 16) {
        await Promise.all(
          Array.from({ length: Math.min(16, REFUND_SALES - i) }, async (_, j) => {
            const customer = (i + j) % customers.length;
            const itemId = pick(itemIds);
            const res = await fetch(`${urls.sales}/sales`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[customer]}` },
              body: JSON.stringify({ itemId, quantity: REFUND_UNITS }),
            });
            if (res.status !== 201) throw new Error(`buying for the refunds failed: ${res.status} ${await res.text()}`);
            bought.push({ saleId: ((await res.json()) as { id: string }).id, itemId, customer });
          }),
        );
      }
      // Unit by unit, sale after sale, so consecutive requests refund different sales.
      for (let unit = 0; unit < REFUND_UNITS; unit++) refundSlots.push(...bought);
    };
    const basket = () => [...itemIds].sort(() => Math.random() - 0.5).slice(0, 3);

    /** `webhook`: measured twice in every round, without and with one active webhook subscription. */
    const scenarios: Array<{
      name: string;
      service: string;
      requests: autocannon.Request[];
      ceiling?: autocannon.Request[];
      prepare?: () => Promise<void>;
      webhook?: boolean;
    }> = [
      {
        name: 'GET /items (electronics, -priceCents)',
        service: urls.inventory,
        requests: [{ method: 'GET', path: '/items?category=electronics&sort=-priceCents&limit=20' }],
        ceiling: [{ method: 'GET', path: '/items' }],
      },
      {
        name: 'GET /items/:id',
        service: urls.inventory,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/items/${pick(itemIds)}` }) }],
        ceiling: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/item?id=${pick(itemIds)}` }) }],
      },
      {
        name: 'GET /goods',
        service: urls.sales,
        requests: [{ method: 'GET', path: '/goods' }],
        ceiling: [{ method: 'GET', path: '/goods' }],
      },
      {
        name: 'GET /items/:id/reviews',
        service: urls.reviews,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/items/${pick(itemIds)}/reviews` }) }],
        ceiling: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/reviews?item=${pick(itemIds)}` }) }],
      },
      {
        name: 'POST /sales (full purchase)',
        service: urls.sales,
        webhook: true,
        requests: [purchaseBySomeone(() => ({ itemId: pick(itemIds) }))],
        ceiling: [
          {
            method: 'POST',
            setupRequest: (req) => ({ ...req, path: '/purchase', body: JSON.stringify({ ...asBuyer(pick(customers)), itemId: pick(itemIds) }) }),
          },
        ],
      },
      {
        name: 'POST /sales (3-line basket)',
        service: urls.sales,
        requests: [purchaseBySomeone(() => ({ lines: basket().map((itemId) => ({ itemId })) }))],
        ceiling: [
          {
            method: 'POST',
            setupRequest: (req) => ({ ...req, path: '/purchase', body: JSON.stringify({ ...asBuyer(pick(customers)), itemIds: basket() }) }),
          },
        ],
      },
      {
        name: 'POST /sales/:id/refunds (one unit, restocked)',
        service: urls.sales,
        prepare: buyForRefunds,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const { saleId, itemId, customer } = slot();
              return {
                ...req,
                path: `/sales/${saleId}/refunds`,
                headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[customer]}` },
                body: JSON.stringify({ lines: [{ itemId, quantity: 1 }] }),
              };
            },
          },
        ],
        ceiling: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const { saleId, itemId } = slot();
              return { ...req, path: '/refund', body: JSON.stringify({ saleId, itemId }) };
            },
          },
        ],
      },
      {
        name: `POST /auth/login (bcrypt cost ${BCRYPT_ROUNDS})`,
        service: urls.customers,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => ({
              ...req,
              path: '/auth/login',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username: pick(customers).username, password: 'bench-password' }),
            }),
          },
        ],
      },
    ];

    if (SOAK_SECONDS) {
      const mixed = scenarios.filter((scenario) => !scenario.name.includes('login'));
      // The refunds need their sales bought first, as in a scenario run.
      for (const scenario of mixed) await scenario.prepare?.();
      await soak(system, mixed, itemIds);
      return;
    }
    const servicePids = Object.fromEntries(system.processes.map((p) => [p.name, p.child.pid!]));
    let books: Books | undefined;
    for (const scenario of scenarios) {
      if (ONLY && !ONLY.some((word) => scenario.name.toLowerCase().includes(word))) continue;
      process.stdout.write(`${scenario.name} …`);
      await scenario.prepare?.();
      await warmUp(scenario.service, scenario.requests);
      if (scenario.ceiling) await warmUp(ceilingUrl, scenario.ceiling);
      // The shop and its ceiling take turns, so a machine that slows down or speeds up meanwhile (it is a
      // shared VM) affects both sides of the ratio alike.
      const shop: Measured[] = [];
      const subscribed: Measured[] = [];
      const top: Measured[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        shop.push(await measure(system, servicePids, scenario.service, scenario.requests));
        if (scenario.webhook && hooks) {
          await hooks.activate();
          subscribed.push(await measure(system, servicePids, scenario.service, scenario.requests));
          await hooks.deactivate();
        }
        if (scenario.ceiling) top.push(await measure(system, { ceiling: ceiling.pid! }, ceilingUrl, scenario.ceiling));
      }
      const ceilingRow = top.length ? combine(top) : undefined;
      const rowOf = (name: string, measured: Measured[]): Row => {
        const row: Row = { scenario: name, ...combine(measured) };
        if (ceilingRow)
          Object.assign(row, { ceilingRps: ceilingRow.rps, ceilingP99: ceilingRow.p99, ratio: row.rps / ceilingRow.rps, ceilingCpuUs: ceilingRow.cpuUs });
        return row;
      };
      const measuredRows = [rowOf(scenario.name, shop), ...(subscribed.length ? [rowOf(`${scenario.name}, 1 webhook subscription`, subscribed)] : [])];
      if (P99_TARGET_MS && !scenario.name.includes('login'))
        measuredRows[0]!.atTarget = await rateAtTarget(scenario.service, scenario.requests, measuredRows[0]!.rps);
      if (scenario.webhook && hooks) webhooks = await hooks.settle();
      // The ceiling's purchases go through the same tables and must balance too.
      if (scenario.name.startsWith('POST /sales')) books = await checkBooks(system, itemIds);
      rows.push(...measuredRows);
      console.log(
        measuredRows
          .map(
            (row) =>
              ` ${row.rps} req/s, p99 ${row.p99} ms${row.ratio ? `, ${(row.ratio * 100).toFixed(0)}% of ceiling` : ''}${row.atTarget !== undefined ? `; at p99 ≤ ${P99_TARGET_MS} ms: ${openLoop(row)}` : ''}`,
          )
          .join(';'),
      );
    }
    report(rows, books, webhooks);
    if (receiver) console.log(`tracing: the receiver took ${receiver.exports.requests} exports, ${Math.round(receiver.exports.bytes / 1024)} KiB`);
    if (books?.problems.length) process.exitCode = 1;
  } finally {
    hooks?.close();
    ceiling.kill();
    await system.stop();
    await receiver?.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
