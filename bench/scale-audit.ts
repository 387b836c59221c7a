// The books audit on the large shop (`pnpm bench:scale`): sales' own audit, run as an operator runs it in the image
// (`node --conditions=compiled dist/audit-books.js --json`, from the sales folder, with sales' environment), under
// /usr/bin/time -v for its wall time and peak resident memory. The loaded books are balanced by construction
// (bench/scale-load.ts), so the audit must find zero drift; a pending sale is in flight, not drift.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HEAP_FLAGS } from '@shop/devkit';

export interface AuditFigures {
  exitCode: number | null;
  /** Wall time of the whole process (start, the audit, exit), from /usr/bin/time. */
  wallSeconds: number;
  /** The audit's own run, as it reports it. */
  auditSeconds: number;
  /** Peak resident set size of the process (/usr/bin/time's "Maximum resident set size"). */
  peakRssMb: number;
  counted: Record<string, number>;
  pending: Record<string, number>;
  /** Kinds found above zero (none: balanced). */
  drift: Record<string, number>;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

const wallClock = (text: string) => {
  const parts = text.trim().split(':').map(Number);
  return parts.reduce((sum, part) => sum * 60 + part, 0);
};

/**
 * BENCH_SCALE_AUDIT_HOLD=<file>: before its own audit, the bench writes sales' environment to the file (mode 600) and
 * waits until the file is removed, so the audit can be run again and again by hand on the loaded shop
 * (`node --conditions=compiled dist/audit-books.js --json` from services/sales with that environment).
 */
async function holdFor(salesEnv: Record<string, string>) {
  const file = process.env.BENCH_SCALE_AUDIT_HOLD;
  if (!file) return;
  fs.writeFileSync(file, JSON.stringify(salesEnv), { mode: 0o600 });
  console.log(`  holding the loaded shop: sales' environment is in ${file}; remove the file to run the bench's audit and stop`);
  while (fs.existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 1000));
}

/**
 * The audit runs with the heap bounds it runs with everywhere (HEAP_FLAGS: package.json's audit:books, the image's
 * NODE_OPTIONS). `heapMb` replaces the old-space bound (`--max-old-space-size`): finishing under a smaller one shows
 * what the audit really holds.
 */
export async function auditAtScale(salesEnv: Record<string, string>, compiled: boolean, heapMb?: number): Promise<AuditFigures> {
  const entry = [
    ...HEAP_FLAGS.map((flag) => (heapMb && flag.startsWith('--max-old-space-size=') ? `--max-old-space-size=${heapMb}` : flag)),
    ...(compiled ? ['--conditions=compiled', 'dist/audit-books.js'] : ['--import', 'tsx', 'src/audit-books.ts']),
  ];
  await holdFor(salesEnv);
  const loadAverageBefore = os.loadavg();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-v', process.execPath, ...entry, '--json'], {
      cwd: path.join(__dirname, '..', 'services', 'sales'),
      env: { PATH: process.env.PATH, ...salesEnv, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(stderr);
      if (!stdout.trim() || !rss || !wall) return reject(new Error(`the audit did not report (exit ${exitCode}): ${stderr.slice(0, 2000)}`));
      const report = JSON.parse(stdout) as { seconds: number; counted: Record<string, number>; pending: Record<string, number>; drift: Record<string, number> };
      resolve({
        exitCode,
        wallSeconds: wallClock(wall[1]!),
        auditSeconds: report.seconds,
        peakRssMb: Math.round(Number(rss[1]) / 1024),
        counted: report.counted,
        pending: report.pending,
        drift: Object.fromEntries(Object.entries(report.drift).filter(([, n]) => n > 0)),
        loadAverageBefore,
        loadAverageAfter: os.loadavg(),
      });
    });
  });
}
