import fs from 'node:fs';

/** A live process's command line; undefined when there is none (and '(unknown)' where /proc cannot say). */
export function processCmdline(pid: number | undefined): string | undefined {
  if (!pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return fs.existsSync('/proc') ? undefined : '(unknown)';
  }
}

/** Sends `signal`, waits up to 10 s for the process to go, then kills it. */
export async function terminate(pid: number, signal: NodeJS.Signals): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  for (let waited = 0; alive() && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  if (alive()) process.kill(pid, 'SIGKILL');
}

/**
 * Calls `gone` when a process between this one and the pnpm that launched it disappears. `pnpm start` runs
 * under pnpm → sh → tsx, and pnpm dies on SIGTERM without passing it on, which would leave the shop running
 * with nobody in charge. (Linux reads the chain from /proc; elsewhere only the direct parent is watched.)
 */
export function whenLauncherGone(gone: (pid: number) => void): void {
  const chain: number[] = [];
  for (let pid = process.ppid; pid > 1 && chain.length < 4;) {
    chain.push(pid);
    let stat: string;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (/(^|\/)p?npm|pnpm/.test(cmdline)) break;
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      break;
    }
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  const timer = setInterval(() => {
    const missing = chain.find((pid) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ESRCH';
      }
    });
    if (missing === undefined) return;
    clearInterval(timer);
    gone(missing);
  }, 500);
  timer.unref();
}
