import fs from 'node:fs';
import { isPostgresProcess } from './embedded';
import { processCmdline, terminate } from './processes';
import type { ServiceName } from './services';

/** A start-up refusal worth one line to the developer (no stack). */
export class StartError extends Error {}

/** What a running `pnpm start` owns: its own pid, PostgreSQL's and each service's. */
export interface StartLockState {
  postgres?: number;
  services: Partial<Record<ServiceName, number>>;
}

/**
 * `pnpm start`'s lock file: one start per data folder, and the pids it started, so a start after a crash
 * (kill -9) can stop what the dead one left behind. `where` names the data folder in messages.
 */
export function startLock(file: string, options: { where: string; log: (message: string) => void }) {
  let owned = false;
  const write = (state: StartLockState) => {
    owned = true;
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, ...state }));
  };
  return {
    write,

    /** Refuses a second `pnpm start` on the same data; after a crash stops the processes the dead one left behind. */
    async take(): Promise<void> {
      if (fs.existsSync(file)) {
        let lock: ({ pid: number } & StartLockState) | undefined;
        try {
          lock = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number } & StartLockState;
        } catch {
          // unreadable: treat as stale
        }
        if (lock) {
          const owner = processCmdline(lock.pid);
          if (owner && /start\.ts|\(unknown\)/.test(owner)) {
            throw new StartError(`another \`pnpm start\` (pid ${lock.pid}) is running on ${options.where}. Stop it (Ctrl-C there, or kill ${lock.pid}) first.`);
          }
          const orphans = [
            ...Object.entries(lock.services).filter(([name, pid]) => processCmdline(pid)?.includes(`services/${name}`)),
            ...(lock.postgres && isPostgresProcess(lock.postgres) ? [['postgres', lock.postgres] as const] : []),
          ] as Array<[string, number]>;
          for (const [what, pid] of orphans) {
            options.log(`stopping ${what} (pid ${pid}) left running by an earlier start that did not shut down`);
            await terminate(pid, what === 'postgres' ? 'SIGINT' : 'SIGTERM');
          }
        }
      }
      write({ services: {} });
    },

    /** Removes the file, if this process wrote it. */
    release(): void {
      if (owned) fs.rmSync(file, { force: true });
    },
  };
}
