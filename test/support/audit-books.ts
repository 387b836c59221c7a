import { execFile } from 'node:child_process';
import path from 'node:path';
import { HEAP_FLAGS } from '@shop/devkit';
import type { TestSystem } from '@shop/testkit';

const ROOT = path.resolve(__dirname, '../..');

export interface AuditRun {
  /** 0: the books balance (or every drift was repaired); 1: drift left; 2: the audit could not run. */
  code: number;
  report: any;
  stderr: string;
}

/** `pnpm audit:books --json [args]` as an operator runs it: a process of its own (its heap bounded as package.json bounds it), with the shop's sales environment. */
export function auditBooks(system: TestSystem, ...args: string[]): Promise<AuditRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...HEAP_FLAGS, '--import', 'tsx', 'scripts/audit-books.ts', '--json', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...system.context.env.sales, LOG_LEVEL: 'error' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 2) : 0;
        resolve({ code, report: stdout.trim() ? JSON.parse(stdout) : undefined, stderr });
      },
    );
  });
}

/** The kinds a report found, with their counts (only those above 0). */
export const driftOf = (report: { drift: Record<string, number> }) => Object.fromEntries(Object.entries(report.drift).filter(([, count]) => count > 0));
