// Shared Prisma CLI configuration. Prisma 6.19.3's WebAssembly schema engine runs offline
// (no engine download) when driven through the pg adapter, so installs need nothing beyond the npm registry.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// The pg adapter lacks mappings for a few catalog OIDs used by introspection (prisma/orm#27403).
const textLike: Record<number, number> = { 18: 25, 19: 25, 1002: 1009, 1003: 1009 };
const originalQuery = Reflect.get(pg.Pool.prototype, 'query') as (this: pg.Pool, ...args: unknown[]) => Promise<pg.QueryResult>;
pg.Pool.prototype.query = async function patched(this: pg.Pool, ...args: unknown[]) {
  const result = await originalQuery.apply(this, args);
  for (const field of result?.fields ?? []) field.dataTypeID = textLike[field.dataTypeID] ?? field.dataTypeID;
  return result;
} as never;

// The engine arms a 10 s advisory-lock timer and never clears it; unref it so the CLI exits at once.
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
  const timer = originalSetTimeout(fn, ms, ...rest);
  if ((ms ?? 0) >= 5000 && new Error().stack?.includes('wasm://')) timer.unref();
  return timer;
}) as typeof setTimeout;

process.env.PRISMA_QUERY_ENGINE_LIBRARY ??= __filename;
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= __filename;

export function serviceConfig(service: string) {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const poolConfig = {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    allowExitOnIdle: true,
    idleTimeoutMillis: 50,
  };
  return defineConfig({
    experimental: { adapter: true },
    engine: 'js',
    schema: path.join(__dirname, service, 'schema.prisma'),
    migrations: { path: path.join(__dirname, service, 'migrations') },
    adapter: () => Promise.resolve(new PrismaPg(poolConfig)),
  });
}
