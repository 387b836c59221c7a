// Generates each service's Prisma client after install (or only the services named as arguments: the
// Docker images generate just their own). Prisma 6.19.3 with engineType "client" needs no engine binary;
// pointing the engine variables at an existing file keeps the CLI from trying to download one (no network).
// The CLI is found through @shop/devkit (which images install too), else from the workspace root.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: fileURLToPath(import.meta.url),
  PRISMA_SCHEMA_ENGINE_BINARY: fileURLToPath(import.meta.url),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://unused@127.0.0.1/unused',
};

/**
 * The CLI and the folder to run it in (it insists that the project it runs in lists prisma itself). devkit's
 * folder first: run from the root, the CLI bakes the path of a root `.env` (compose's secrets, from
 * `pnpm compose:env`) into the client, which would then load it at every start.
 */
function prismaCli() {
  for (const from of [path.join(root, 'packages/devkit'), root]) {
    try {
      return { cli: createRequire(path.join(from, 'package.json')).resolve('prisma/build/index.js'), cwd: from };
    } catch {
      // not installed there
    }
  }
  throw new Error('the prisma CLI is not installed (root devDependency, or via @shop/devkit)');
}

const wanted = process.argv.slice(2);
const { cli, cwd } = prismaCli();
for (const service of wanted.length ? wanted : ['customers', 'inventory', 'sales', 'reviews']) {
  const schema = `prisma/${service}/schema.prisma`;
  if (!fs.existsSync(`${root}/${schema}`)) continue;
  execFileSync(process.execPath, [cli, 'generate', '--schema', path.join(root, schema)], { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`generated the ${service} Prisma client`);
}
