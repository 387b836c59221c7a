// An embedded PostgreSQL in a process of its own, driven over stdin: `stop` (fast shutdown) and `start`
// again, each answered on stdout once done; end of stdin stops it and exits. Tests that stop their database
// run it this way (system.ts): when jest ends or kills the worker, stdin closes and the server goes with it,
// where a server started by the worker itself would be left running.
import readline from 'node:readline';
import { startEmbeddedPostgres, type EmbeddedServer } from '@shop/devkit';

const settings = JSON.parse(process.argv[2]!) as Parameters<typeof startEmbeddedPostgres>[0];
let server: EmbeddedServer | undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function handle(command: string) {
  // Test files run side by side, each with instances of its own (two replicas of every service in the rolling
  // deploy, isolated databases): PostgreSQL's default 100 connections ran out ("too many clients already").
  if (command === 'start') server ??= await startEmbeddedPostgres({ ...settings, maxConnections: 400 });
  if (command === 'stop') {
    await server?.stop();
    server = undefined;
  }
  say(`${command} done`);
}

let queue = handle('start');
const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  queue = queue.then(() => handle(line.trim()));
});
input.on('close', () => {
  void queue.then(() => server?.stop()).finally(() => process.exit(0));
});
