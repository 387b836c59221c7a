// Process accounting from /proc: CPU time (user + system) per process, PostgreSQL's included, and resident memory.
import fs from 'node:fs';
import os from 'node:os';
import type { TestSystem } from '@shop/testkit';

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/** /proc/<pid>/stat's fields after the command name (field 3 onwards), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

/** CPU milliseconds (user + system) a process has used so far; 0 when it is gone. */
function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS : 0;
}

/**
 * CPU milliseconds all of PostgreSQL has used so far: every live postgres process, plus what the backends
 * that have exited used (the postmaster's reaped-children time), so connections closing mid-run still count.
 */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
    const parentIsPostgres = (() => {
      try {
        return fs.readFileSync(`/proc/${fields[1]}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })();
    if (!parentIsPostgres) total += (Number(fields[13]) + Number(fields[14])) / TICKS_PER_MS; // the postmaster: its reaped children
  }
  return total;
}

/** CPU used by each party during `work`: the named processes, PostgreSQL and this process (the load generator). */
export async function cpuDuring<T>(pids: Record<string, number>, work: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const pgBefore = postgresCpuMs();
  const selfBefore = process.cpuUsage();
  const result = await work();
  const used: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) used[name] = cpuMs(pid) - before[name]!;
  used.postgres = postgresCpuMs() - pgBefore;
  const self = process.cpuUsage(selfBefore);
  used.loadgen = (self.user + self.system) / 1000;
  return [result, used];
}

/** A process's resident memory in MB (0 when it is gone). */
export function rssMb(pid: number): number {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** Peak resident memory of each service process while `work` runs, sampled from /proc. */
export async function withRss<T>(system: TestSystem, work: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const p of system.processes) peak[p.name] = Math.max(peak[p.name] ?? 0, rssMb(p.child.pid!));
  };
  const timer = setInterval(sample, 250);
  try {
    return [await work(), (sample(), peak)];
  } finally {
    clearInterval(timer);
  }
}

/** The machine's load averages (1, 5, 15 min) as printed beside every figure: a busy machine's figures are upper bounds. */
export const loadAverage = (digits = 1) =>
  os
    .loadavg()
    .map((l) => l.toFixed(digits))
    .join(' ');
