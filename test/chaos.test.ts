// A short chaos soak in CI (scripts/chaos.ts starts its own shop, kills and restarts service instances under
// mixed load, stops and starts its PostgreSQL and holds a long table lock, then checks the books, and runs the books
// audit `pnpm audit:books` runs, which must find zero drift). The long soak is `pnpm chaos -- --seconds 600`, by hand.
import { spawn } from 'node:child_process';
import path from 'node:path';

const SECONDS = Number(process.env.CHAOS_CI_SECONDS ?? 20);

it(
  `keeps every invariant through ${SECONDS} s of random kills and restarts, a PostgreSQL stop and a long lock; the books audit finds zero drift`,
  async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'scripts', 'chaos.ts'), '--seconds', String(SECONDS)], {
      cwd: path.join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    console.log(output.split('\nanswers:')[0] + (output.includes('VIOLATIONS') ? output.slice(output.indexOf('\nVIOLATIONS')) : ''));
    expect({ code, violations: output.includes('VIOLATIONS') ? output.slice(output.indexOf('VIOLATIONS')) : 'none' }).toEqual({ code: 0, violations: 'none' });
    // The database faults really happened (scripts/chaos-database.ts schedules one of each in every 20 s).
    expect(output).toMatch(/database chaos: .*postgres stop .*lock /);
    // The operator's audit (sales' code, through the internal APIs) agrees with the direct checks: zero drift.
    expect(output).toMatch(/\nbooks audit: zero drift \(exit 0; /);
  },
  (SECONDS + 300) * 1000,
);
