// The books audit on the large shop (`pnpm bench:scale`): sales' own audit, run as an operator runs it in the image
// (`node --conditions=compiled dist/audit-books.js --json`, from the sales folder, with sales' environment), under
// /usr/bin/time -v for its wall time and peak resident memory. The loaded books are balanced by construction
// (bench/scale-load.ts), so the audit must find zero drift; a pending sale is in flight, not drift.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

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
 * `heapMb` caps V8's old space (`--max-old-space-size`, as the image's service runs): the audit's peak RSS without a
 * cap includes garbage V8 had no reason to collect yet; with one, finishing shows what it really holds.
 */
export function auditAtScale(salesEnv: Record<string, string>, compiled: boolean, heapMb?: number): Promise<AuditFigures> {
  const entry = [
    ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
    ...(compiled ? ['--conditions=compiled', 'dist/audit-books.js'] : ['--import', 'tsx', 'src/audit-books.ts']),
  ];
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
