// Generates each service's Prisma client after install. Prisma 6.19.3 with engineType "client" needs no
// engine binary; the placeholders keep the CLI from trying to download one (no network here).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: fileURLToPath(import.meta.url),
  PRISMA_SCHEMA_ENGINE_BINARY: fileURLToPath(import.meta.url),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://unused@127.0.0.1/unused',
};
for (const service of ['customers', 'inventory', 'sales', 'reviews']) {
  const schema = `prisma/${service}/schema.prisma`;
  if (!fs.existsSync(`${root}/${schema}`)) continue;
  execFileSync('node', ['node_modules/prisma/build/index.js', 'generate', '--schema', schema], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`generated the ${service} Prisma client`);
}
