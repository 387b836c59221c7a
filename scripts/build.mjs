// `pnpm build`: compiles the kit and each service with tsc into its dist/ (emit only: tsconfig.build.json
// says why), then copies each service's generated Prisma client beside its compiled code (Prisma generates
// JavaScript into src/generated). Production runs the result: `node --conditions=compiled dist/server.js`,
// where the "compiled" export condition makes `@shop/kit` resolve to packages/kit/dist. Everything else
// (pnpm start, the tests, scripts) runs the TypeScript through tsx. `pnpm build customers` builds the kit
// and one service (each Docker image builds only its own).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const all = ['customers', 'inventory', 'sales', 'reviews'];
const services = process.argv.length > 2 ? process.argv.slice(2) : all;
const unknown = services.filter((name) => !all.includes(name));
if (unknown.length > 0) throw new Error(`no such service: ${unknown.join(', ')} (one of ${all.join(', ')})`);

const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '--build', 'packages/kit/tsconfig.build.json', ...services.map((name) => `services/${name}/tsconfig.build.json`)], {
  cwd: root,
  stdio: 'inherit',
});
for (const name of services) {
  const generated = path.join(root, 'services', name, 'src', 'generated');
  if (!fs.existsSync(generated)) throw new Error(`${generated} is missing: pnpm install (or node scripts/generate-clients.mjs ${name}) generates it`);
  const target = path.join(root, 'services', name, 'dist', 'generated');
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(generated, target, { recursive: true });
}
console.log(`built ${['kit', ...services].join(', ')} into their dist/`);
