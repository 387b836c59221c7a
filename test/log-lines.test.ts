// How `pnpm start` shows the services' JSON logs in a terminal (packages/devkit/src/log-lines.ts).
import { Readable } from 'node:stream';
import { formatLogLine, pipeServiceLogs } from '@shop/devkit';

const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('service logs in the terminal', () => {
  it('shows one line per event: name, time, level, message and the fields', () => {
    const line = JSON.stringify({ level: 40, time, pid: 1, hostname: 'h', name: 'sales', msg: 'abandoned purchase undone', saleId: 'abc', requestId: 'r-1' });
    expect(formatLogLine('sales', line, 9)).toEqual(['sales     | 03:04:05.678 WARN  abandoned purchase undone saleId=abc requestId=r-1']);
  });

  it('says a request in a few words', () => {
    const line = JSON.stringify({
      level: 30,
      time,
      name: 'inventory',
      req: { id: 'r-2', method: 'GET', path: '/items' },
      res: { statusCode: 200 },
      responseTime: 4,
      msg: 'request completed',
    });
    expect(formatLogLine('inventory', line)).toEqual(['inventory | 03:04:05.678 INFO  request completed GET /items → 200 in 4 ms requestId=r-2']);
  });

  it("keeps an error's stack, each line prefixed", () => {
    const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at handler (/app/x.ts:1:1)' };
    const lines = formatLogLine('customers', JSON.stringify({ level: 50, time, msg: 'request failed', err }));
    expect(lines).toEqual(['customers | 03:04:05.678 ERROR request failed', 'customers |     Error: boom', 'customers |         at handler (/app/x.ts:1:1)']);
  });

  it('passes lines that are not log events through, prefixed (a crash on stderr)', () => {
    expect(formatLogLine('reviews', 'TypeError: x is not a function')).toEqual(['reviews | TypeError: x is not a function']);
    expect(formatLogLine('reviews', '42')).toEqual(['reviews | 42']);
  });

  it('keeps the raw JSON with LOG_FORMAT=json', async () => {
    const raw = JSON.stringify({ level: 30, time, name: 'sales', msg: 'listening' });
    const written: string[] = [];
    const stream = Readable.from([`${raw}\n`]);
    pipeServiceLogs('sales', [stream], { json: true, write: (line) => written.push(line) });
    await new Promise((resolve) => stream.once('close', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual([raw]);
  });
});
