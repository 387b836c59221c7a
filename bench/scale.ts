// `pnpm bench:scale` (issue 23): the same endpoints measured on the bench's small shop and again after a bulk load
// of a year of trade (1M items, 200k customers, 1M sales, 1M reviews and the operational tables as a year leaves
// them), in one sitting, with the ratio of each; then every statement the list endpoints run is EXPLAINed at the
// large size (auto_explain, as they run) and the run fails on a sequential scan of a large table; last, the books
// audit runs on the large shop (its time and peak memory; it must find zero drift: the load's books balance).
// Writes bench/results/scale.json and scale.md. Run by hand (docs in bench/README.md); never part of CI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/kit/tokens';
import { startTestSystem, type TestSystem } from '@shop/testkit';
import { auditAtScale } from './scale-audit';
import { bulkLoad, buuid, scaleSizes, SCALE_WORD, type ScaleSizes } from './scale-load';
import { measureEndpoint, type Endpoint } from './scale-measure';
import { readStatements, resetStatements, STATEMENT_SETTINGS, STATEMENTS, statementsTable, type StatementFigures } from './scale-statements';
import { invalidMeasurements, largeSeqScans, markdownTable, plansFromJsonLog, ratios, type ScaleRow } from './scale-report';
import { seed } from './seed';
import { BCRYPT_ROUNDS, query, RESULTS } from './settings';

/** BENCH_SCALE_FACTOR=0.1 loads a tenth of every size (a quick try); 1 is the issue's sizes. */
const FACTOR = Number(process.env.BENCH_SCALE_FACTOR ?? 1);
/** The operational tables' share (webhook history, sessions, rate-limit and idempotency keys); FACTOR unless set. */
const OPS_FACTOR = Number(process.env.BENCH_SCALE_OPS_FACTOR ?? FACTOR);
const SEQUENTIAL = Number(process.env.BENCH_SCALE_REQUESTS ?? 200);
const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_SCALE_CONNECTIONS ?? 16);
/** A table with at least this many rows is large: a sequential scan of it fails the run. */
const LARGE_ROWS = Number(process.env.BENCH_SCALE_LARGE_ROWS ?? Math.max(10_000, Math.round(100_000 * FACTOR)));
/** BENCH_SCALE_ONLY=items,reviews measures only the endpoints whose name contains one of the words. */
const ONLY = process.env.BENCH_SCALE_ONLY?.toLowerCase().split(',');
const LOG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-log-'));

interface Context {
  itemId: () => string;
  reviewedItem: string;
  buyer: { username: string; token: string };
  adminToken: string;
  purchase: () => { token: string; itemId: string };
  login: () => { username: string };
  deepOffset: number;
  /** The cursor (nextCursor) that starts the page at deepOffset: the same page, by the contract's way to go deep. */
  deepCursor: string;
  soldItem: string;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The issue's endpoint set. */
function endpoints(ctx: Context): Endpoint[] {
  const list: Endpoint[] = [
    { name: '`GET /items` (default page)', service: 'inventory', request: () => ({ path: '/items' }) },
    {
      name: '`GET /items?category=…&sort=-priceCents`',
      service: 'inventory',
      request: () => ({ path: '/items?category=electronics&sort=-priceCents' }),
    },
    { name: '`GET /items?q=<word in ~1% of names>`', service: 'inventory', request: () => ({ path: `/items?q=${SCALE_WORD}` }) },
    { name: '`GET /items?offset=<deep>`', service: 'inventory', request: () => ({ path: `/items?offset=${ctx.deepOffset}` }) },
    {
      name: '`GET /items?after=<cursor at the same depth>`',
      service: 'inventory',
      request: () => ({ path: `/items?after=${encodeURIComponent(ctx.deepCursor)}` }),
    },
    { name: '`GET /items/:id`', service: 'inventory', request: () => ({ path: `/items/${ctx.itemId()}` }) },
    { name: '`GET /goods` (sales, cached)', service: 'sales', request: () => ({ path: '/goods' }) },
    { name: '`GET /items/:id/reviews` (most reviewed item)', service: 'reviews', request: () => ({ path: `/items/${ctx.reviewedItem}/reviews` }) },
    { name: '`GET /sales` (the heaviest buyer)', service: 'sales', request: () => ({ path: '/sales', headers: bearer(ctx.buyer.token) }) },
    { name: '`GET /sales?itemId=` (admin)', service: 'sales', request: () => ({ path: `/sales?itemId=${ctx.soldItem}`, headers: bearer(ctx.adminToken) }) },
    { name: '`GET /customers` (admin)', service: 'customers', request: () => ({ path: '/customers', headers: bearer(ctx.adminToken) }) },
    {
      name: '`GET …/wallet/transactions` (the heaviest buyer)',
      service: 'customers',
      request: () => ({ path: `/customers/${ctx.buyer.username}/wallet/transactions`, headers: bearer(ctx.buyer.token) }),
    },
    {
      name: '`POST /sales`',
      service: 'sales',
      expect: 201,
      request: () => {
        const { token, itemId } = ctx.purchase();
        return { method: 'POST' as const, path: '/sales', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify({ itemId }) };
      },
    },
    {
      name: '`POST /auth/login`',
      service: 'customers',
      request: () => ({
        method: 'POST' as const,
        path: '/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ctx.login().username, password: 'bench-password' }),
      }),
    },
  ];
  return list.filter((endpoint) => !ONLY || ONLY.some((word) => endpoint.name.toLowerCase().includes(word)));
}

/** Tokens for customers, signed as customers signs them, each naming a live session. */
async function tokensFor(system: TestSystem, customers: Array<{ id: string; username: string; sessionId: string }>) {
  const jwks = (await (await fetch(`${system.context.urls.customers}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  return customers.map((customer) =>
    jwt.sign({ username: customer.username, role: 'customer', sid: customer.sessionId }, system.context.env.customers.JWT_PRIVATE_KEY!, {
      algorithm: 'RS256',
      keyid: jwks.keys[0]!.kid,
      subject: customer.id,
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      expiresIn: 7200,
    }),
  );
}

/** The admin's access token, by a login (its TTL is the service's: taken again after the load, which outlasts it). */
async function adminLogin(system: TestSystem): Promise<string> {
  const res = await fetch(`${system.context.urls.customers}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(system.context.admin),
  });
  if (!res.ok) throw new Error(`the admin's login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

async function waitReady(system: TestSystem) {
  const deadline = Date.now() + 120_000;
  for (const url of Object.values(system.context.urls)) {
    while (
      !(await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`${url} did not become ready after the database restart`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** auto_explain loaded (idle until the EXPLAIN pass) and PostgreSQL's log written as JSON lines to LOG_DIR: needs a restart. */
async function prepareExplain(system: TestSystem) {
  fs.chmodSync(LOG_DIR, 0o777); // the server may run as another user
  const url = system.context.databaseUrls.customers;
  for (const [name, value] of [
    ['shared_preload_libraries', 'auto_explain'],
    ['logging_collector', 'on'],
    ['log_destination', 'jsonlog'],
    ['log_directory', LOG_DIR],
    ['log_filename', 'postgresql.log'],
    ['auto_explain.log_min_duration', '-1'],
    ['auto_explain.log_format', 'json'],
    ['auto_explain.log_nested_statements', 'on'],
    ...(STATEMENTS ? STATEMENT_SETTINGS : []),
  ])
    await query(url, `ALTER SYSTEM SET ${name} = '${value}'`);
  // A list of libraries is one unquoted value (quoted, it names one file).
  if (STATEMENTS) await query(url, 'ALTER SYSTEM SET shared_preload_libraries = auto_explain, pg_stat_statements');
  await system.postgres!.stop();
  await system.postgres!.start();
  await waitReady(system);
}

/** Every GET endpoint once with auto_explain logging every statement; the sequential scans of large tables. */
async function explainPass(system: TestSystem, list: Endpoint[]) {
  const url = system.context.databaseUrls.customers;
  await query(url, "ALTER SYSTEM SET auto_explain.log_min_duration = '0'");
  await query(url, 'SELECT pg_reload_conf()');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  // An endpoint that answers an error would have its error path explained, not its list: it fails the run.
  const failed: string[] = [];
  for (const endpoint of list.filter((e) => !e.request().method)) {
    const { path: p, headers } = endpoint.request();
    const res = await fetch(`${system.context.urls[endpoint.service]}${p}`, { headers });
    await res.arrayBuffer();
    if (!res.ok) failed.push(`${endpoint.name}: ${res.status}`);
  }
  await query(url, "ALTER SYSTEM SET auto_explain.log_min_duration = '-1'");
  await query(url, 'SELECT pg_reload_conf()');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const text = fs
    .readdirSync(LOG_DIR)
    .map((file) => fs.readFileSync(path.join(LOG_DIR, file), 'utf8'))
    .join('\n');
  const plans = plansFromJsonLog(text);
  const large: Record<string, Set<string>> = {};
  for (const databaseUrl of Object.values(system.context.databaseUrls)) {
    const database = new URL(databaseUrl).pathname.slice(1);
    const rows = await query(databaseUrl, "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND reltuples >= $1", [
      LARGE_ROWS,
    ]);
    large[database] = new Set(rows.map((row) => row.relname as string));
  }
  const service = Object.fromEntries(Object.entries(system.context.databaseUrls).map(([name, u]) => [new URL(u).pathname.slice(1), name]));
  return {
    failed,
    statements: plans.length,
    seqScans: largeSeqScans(plans, large).map((found) => ({ ...found, database: service[found.database] ?? found.database })),
  };
}

/**
 * A checkpoint before each size's measurements. The bulk load leaves hundreds of MB of dirty buffers, and the
 * checkpoint its WAL triggers spreads their write-back over minutes: measured in that window, a purchase's first
 * write of each page also writes the page whole to the WAL, beside the loader's I/O (a run that measured the
 * purchase right after the load gave 0.56× where the full run, minutes later, gave 0.91×). That is the loader's cost,
 * not the shop's; a year of trade would be long checkpointed. Both sizes start from one, so they are measured alike.
 */
async function settle(url: string) {
  await query(url, 'CHECKPOINT');
}

/** The nextCursor of the page that ends just before row `offset` of the default list. */
async function cursorAt(system: TestSystem, offset: number): Promise<string> {
  const res = await fetch(`${system.context.urls.inventory}/items?offset=${offset - 20}&limit=20`);
  const body = (await res.json()) as { nextCursor?: string | null };
  if (res.status !== 200 || !body.nextCursor) throw new Error(`no cursor at row ${offset}: ${res.status} ${JSON.stringify(body)}`);
  return body.nextCursor;
}

async function measureAll(system: TestSystem, list: Endpoint[], size: 'small' | 'large', rows: ScaleRow[]) {
  for (const endpoint of list) {
    process.stdout.write(`  ${size}: ${endpoint.name} …`);
    const measured = await measureEndpoint(system.context.urls[endpoint.service], endpoint, SEQUENTIAL, SECONDS, CONNECTIONS);
    let row = rows.find((r) => r.endpoint === endpoint.name);
    if (!row) rows.push((row = { endpoint: endpoint.name }));
    row[size] = measured;
    console.log(
      ` p50 ${measured.p50.toFixed(2)} ms, p95 ${measured.p95.toFixed(2)} ms, ${measured.rps.toFixed(1)}/s${measured.errors ? `, ${measured.errors} failed` : ''}`,
    );
  }
}

async function main() {
  const sizes: ScaleSizes = scaleSizes(FACTOR, OPS_FACTOR);
  console.log(`starting the shop (production settings, fsync on, ${process.env.BENCH_TSX ? 'TypeScript through tsx' : 'compiled'}) …`);
  const system = await startTestSystem({
    nodeEnv: 'production',
    bcryptRounds: BCRYPT_ROUNDS,
    fsync: true,
    ownPostgres: true,
    compiled: !process.env.BENCH_TSX,
    // Retention's first pass runs at start, on empty tables; then none for a day. Its timer would otherwise prune the
    // year of operational rows between the loader's statements (a reservation gone before its lines, an event before
    // its deliveries: foreign-key failures), and the large shop is measured as a year leaves it with nothing pruned,
    // the issue's worst case. What pruning does at this size: bench/retention-at-scale.mjs, docs/operations.md.
    env: { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', RETENTION_INTERVAL_MS: '86400000' },
    stdio: process.env.BENCH_SHOW_LOGS ? 'inherit' : 'ignore',
  });
  const rows: ScaleRow[] = [];
  try {
    await prepareExplain(system);
    const { databaseUrls } = system.context;
    console.log('seeding the small shop (as pnpm bench does) …');
    const { itemIds, customers, tokens, adminToken } = await seed(system);
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
    // 1% of the small names carry the search word, as in the large catalogue.
    await query(databaseUrls.inventory, `UPDATE items SET name = name || ' ${SCALE_WORD}' WHERE id = ANY($1::uuid[])`, [
      itemIds.filter((_, i) => i % 100 === 7),
    ]);
    // The small shop's heaviest buyer: a few purchases.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${system.context.urls.sales}/sales`, {
        method: 'POST',
        headers: { ...bearer(tokens[0]!), 'content-type': 'application/json' },
        body: JSON.stringify({ itemId: itemIds[i % itemIds.length] }),
      });
      if (res.status !== 201) throw new Error(`a purchase of the small buyer failed: ${res.status} ${await res.text()}`);
    }
    for (const url of Object.values(databaseUrls)) await query(url, 'VACUUM ANALYZE');
    await settle(databaseUrls.customers);
    const shared = {
      login: () => ({ username: pick(customers).username }),
    };
    const small = endpoints({
      ...shared,
      adminToken,
      purchase: () => ({ token: pick(tokens), itemId: pick(itemIds) }),
      itemId: () => pick(itemIds),
      reviewedItem: itemIds[0]!,
      buyer: { username: customers[0]!.username, token: tokens[0]! },
      deepOffset: Math.floor(itemIds.length * 0.9),
      deepCursor: await cursorAt(system, Math.floor(itemIds.length * 0.9)),
      soldItem: itemIds[0]!,
    });
    console.log(`measuring the small shop (${SEQUENTIAL} sequential requests, then ${SECONDS} s at ${CONNECTIONS} connections) …`);
    const statements: Record<string, StatementFigures[]> = {};
    if (STATEMENTS) await resetStatements(databaseUrls.customers);
    await measureAll(system, small, 'small', rows);
    if (STATEMENTS) statements.small = await readStatements(databaseUrls.customers);

    console.log(`bulk loading (factor ${FACTOR}, operational tables ${OPS_FACTOR}): ${JSON.stringify(sizes)}`);
    const hash = await bcrypt.hash('bench-password', BCRYPT_ROUNDS);
    const started = performance.now();
    const steps = await bulkLoad(databaseUrls, sizes, hash, console.log);
    const loadSeconds = (performance.now() - started) / 1000;
    console.log(`loaded in ${loadSeconds.toFixed(0)} s; VACUUM ANALYZE …`);
    const vacuumStarted = performance.now();
    await Promise.all(Object.values(databaseUrls).map((url) => query(url, 'VACUUM ANALYZE')));
    const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
    console.log(`VACUUM ANALYZE took ${vacuumSeconds.toFixed(0)} s`);
    await settle(databaseUrls.customers);
    const tables: Record<string, Array<{ table: string; rows: number; mb: number }>> = {};
    for (const [name, url] of Object.entries(databaseUrls)) {
      tables[name] = (
        await query(
          url,
          `SELECT relname AS table, reltuples::bigint AS rows, round(pg_total_relation_size(oid) / 1048576.0)::int AS mb FROM pg_class
           WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND reltuples >= 1000 ORDER BY reltuples DESC`,
        )
      ).map((row) => ({ table: row.table as string, rows: Number(row.rows), mb: Number(row.mb) }));
    }

    const heavy = { id: buuid('c', 1), username: 'scale1', sessionId: buuid('live', 1) };
    // Every token is taken again after the load: the admin's access token (15 min) and the small shop's buyers'
    // (1 h) expire during a full-size load, and the large rows would time error answers.
    const [heavyToken, ...largeTokens] = await tokensFor(system, [heavy, ...customers]);
    const largeAdminToken = await adminLogin(system);
    const large = endpoints({
      ...shared,
      adminToken: largeAdminToken,
      purchase: () => ({ token: pick(largeTokens), itemId: pick(itemIds) }),
      itemId: () => buuid('i', 1 + Math.floor(Math.random() * sizes.items)),
      reviewedItem: buuid('i', 1),
      buyer: { username: heavy.username, token: heavyToken! },
      deepOffset: Math.min(1_000_000, Math.floor(sizes.items * 0.9)),
      deepCursor: await cursorAt(system, Math.min(1_000_000, Math.floor(sizes.items * 0.9))),
      soldItem: buuid('i', 1 + ((1 * 104729) % sizes.items)),
    });
    console.log('measuring the large shop …');
    if (STATEMENTS) await resetStatements(databaseUrls.customers);
    await measureAll(system, large, 'large', rows);
    if (STATEMENTS) {
      statements.large = await readStatements(databaseUrls.customers);
      console.log(`\nstatements by execution time at the large size (pg_stat_statements):\n${statementsTable(statements.small!, statements.large)}\n`);
    }

    console.log(`EXPLAIN of every statement the GET endpoints run (large table: ≥ ${LARGE_ROWS} rows) …`);
    const explained = await explainPass(system, large);
    for (const found of explained.seqScans) console.log(`  SEQ SCAN of ${found.database}.${found.table}: ${found.query.slice(0, 300)}`);
    console.log(`  ${explained.statements} statements explained, ${explained.seqScans.length} scan a large table sequentially`);

    console.log('the books audit on the large shop (dist/audit-books.js as in the sales image, under /usr/bin/time -v) …');
    const auditHeapMb = process.env.BENCH_SCALE_AUDIT_HEAP_MB ? Number(process.env.BENCH_SCALE_AUDIT_HEAP_MB) : undefined;
    const audit = await auditAtScale(system.context.env.sales, !process.env.BENCH_TSX, auditHeapMb);
    const driftText = Object.keys(audit.drift).length ? `DRIFT ${JSON.stringify(audit.drift)}` : 'zero drift';
    const auditLine =
      `Books audit: ${driftText} (exit ${audit.exitCode}) in ${audit.wallSeconds.toFixed(1)} s wall (the audit's own run ${audit.auditSeconds.toFixed(1)} s), ` +
      `peak RSS ${audit.peakRssMb} MB${auditHeapMb ? ` (heap capped at ${auditHeapMb} MB)` : ''}; read ${Object.entries(audit.counted)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')}; ` +
      `load average ${audit.loadAverageBefore.map((n) => n.toFixed(1)).join('/')} before, ${audit.loadAverageAfter.map((n) => n.toFixed(1)).join('/')} after.`;
    console.log(`  ${auditLine}`);

    const largeLabel = FACTOR === 1 ? '1M items, 1M sales' : `${sizes.items} items, ${sizes.sales} sales`;
    const table = markdownTable(rows, largeLabel);
    console.log(`\n${table}\n`);
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg() },
      factor: FACTOR,
      opsFactor: OPS_FACTOR,
      sizes,
      load: { seconds: Math.round(loadSeconds), vacuumAnalyzeSeconds: Math.round(vacuumSeconds), steps },
      tables,
      settings: { sequential: SEQUENTIAL, seconds: SECONDS, connections: CONNECTIONS, largeRows: LARGE_ROWS },
      rows: rows.map((row) => ({ ...row, ratio: ratios(row) })),
      explain: explained,
      audit,
      ...(STATEMENTS && { statements }),
    };
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, 'scale.json'), `${JSON.stringify(result, null, 2)}\n`);
    const invalid = invalidMeasurements(rows);
    const seqLines = explained.seqScans.map((f) => `- ${f.database}.${f.table}: \`${f.query.slice(0, 240)}\``);
    fs.writeFileSync(
      path.join(RESULTS, 'scale.md'),
      [
        `# pnpm bench:scale — ${result.date}`,
        '',
        `Factor ${FACTOR} (operational tables ${OPS_FACTOR}) on ${os.cpus().length} cores: ${sizes.items} items, ${sizes.customers} customers, ` +
          `${sizes.sales} completed sales (${sizes.heavyBuyers} buyers with ${sizes.heavySales} each), ${sizes.reviews} reviews (${sizes.famousReviews} approved of one item), ` +
          `${sizes.events} webhook events per service delivered to 2 subscriptions, ${sizes.sessions} expired sessions and refresh tokens, ` +
          `${sizes.rateLimitKeys} rate-limit keys, ${sizes.idempotencyKeys} idempotency keys.`,
        '',
        `Bulk load ${Math.round(loadSeconds)} s, then VACUUM ANALYZE ${Math.round(vacuumSeconds)} s. Each endpoint: ${SEQUENTIAL} sequential requests (p50 / p95), ` +
          `then ${SECONDS} s at ${CONNECTIONS} connections (req/s; failed = not the expected status).`,
        '',
        ...(invalid.length ? [`**RUN FAILED: ${invalid.length} measurements had failed answers; their rows are not valid: ${invalid.join('; ')}.**`, ''] : []),
        table,
        '',
        `EXPLAIN at the large size: ${explained.statements} statements, ${explained.seqScans.length} with a sequential scan of a table of ≥ ${LARGE_ROWS} rows${seqLines.length ? ':' : '.'}`,
        ...seqLines,
        '',
        auditLine,
        '',
      ].join('\n'),
    );
    console.log(`wrote ${path.relative(process.cwd(), path.join(RESULTS, 'scale.md'))} and scale.json`);
    if (Object.keys(audit.drift).length || audit.exitCode !== 0) {
      console.error(`FAILED: the books audit of the loaded shop found drift (exit ${audit.exitCode}): the loader's books do not balance`);
      process.exitCode = 1;
    }
    if (invalid.length) {
      console.error(`FAILED: ${invalid.length} measurements had answers other than the expected status (their rows are not valid):`);
      for (const line of invalid) console.error(`  ${line}`);
      process.exitCode = 1;
    }
    if (explained.failed.length) {
      console.error(`FAILED: the EXPLAIN pass got error answers: ${explained.failed.join('; ')}`);
      process.exitCode = 1;
    }
    if (explained.seqScans.length) {
      console.error(`FAILED: ${explained.seqScans.length} statements scan a large table sequentially`);
      process.exitCode = 1;
    }
  } finally {
    await system.stop();
    fs.rmSync(LOG_DIR, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
