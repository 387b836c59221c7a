// Quiet logs (issue 24 item 4): a neighbour that is down is reported once per cause and window with a count, and an
// expected 503 carries no stack. A sales instance of its own, wired to an inventory instance this file kills, is
// loaded with purchases for ten seconds; its log lines are counted.
import { freePort, startService, type ServiceProcess } from '@shop/devkit';
import { api, newCustomer, newItem, startInstance, system } from '@shop/testkit';

const SECONDS = 10;
let sales: ServiceProcess | undefined;
let output = '';

afterAll(async () => {
  await sales?.stop();
});

it(`a dependency killed for ${SECONDS} s under purchase load writes a few log lines, none with a stack`, async () => {
  const inventory = await startInstance('inventory');
  sales = await startService(
    'sales',
    { ...system().env.sales, PORT: String(await freePort()), LOG_LEVEL: 'info', INVENTORY_URL: inventory.url },
    { stdio: 'pipe', readyTimeoutMs: 90_000, onSpawn: (child) => child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString())) },
  );
  const item = await newItem({ priceCents: 100, stockCount: 1_000 });
  const buyers = await Promise.all([1, 2, 3, 4].map(() => newCustomer({ balanceCents: 100_000 })));
  const buy = (auth: { Authorization: string }) => api(sales!.url).post('/sales').set(auth).send({ itemId: item.id, quantity: 1 });
  expect((await buy(buyers[0]!.auth)).status).toBe(201);

  await inventory.kill();
  const before = output.split('\n').length;
  const statuses: Record<number, number> = {};
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    buyers.map(async (buyer) => {
      while (Date.now() < until) {
        const { status } = await buy(buyer.auth);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const lines = output
    .split('\n')
    .slice(before - 1)
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { stack?: string } });
  const loud = lines.filter((line) => line.level >= 40);
  console.log(`${JSON.stringify(statuses)} answers; ${lines.length} log lines, ${loud.length} at warn or above:\n${loud.map((line) => line.msg).join('\n')}`);
  // Every purchase was refused 503 (nothing charged), many of them: the load was real.
  expect(Object.keys(statuses)).toEqual(['503']);
  expect(statuses[503]).toBeGreaterThan(20);
  // A few lines: the outage's start, and one per window with its count; no stack anywhere.
  expect(loud.length).toBeLessThanOrEqual(2 * (SECONDS / 10 + 1) + 1);
  expect(lines.filter((line) => line.err?.stack).map((line) => line.msg)).toEqual([]);
}, 240_000);
