// The Prisma clients never read a `.env`: configuration is the environment (validated by zod), nothing else.
// `prisma generate` bakes the path of a `.env` it finds into the client, which then loads it at import; so
// `pnpm compose:env` (which writes compose's secrets to the root `.env`) followed by an install would hand
// compose's ADMIN_PASSWORD and database credentials to `pnpm start`. Checked on a copy of the repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

it('a client generated beside a root .env does not load it', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-generate-'));
  try {
    // Hard links for everything (read only here), real copies of what generation rewrites.
    const entries = fs.readdirSync(ROOT).filter((entry) => !['.git', '.data', 'coverage', 'services', '.env'].includes(entry));
    execFileSync('cp', ['-al', ...entries.map((entry) => path.join(ROOT, entry)), copy]);
    fs.mkdirSync(path.join(copy, 'services'));
    execFileSync('cp', ['-al', path.join(ROOT, 'services/customers'), path.join(copy, 'services')]);
    const generated = path.join(copy, 'services/customers/src/generated');
    fs.rmSync(generated, { recursive: true, force: true });
    fs.writeFileSync(path.join(copy, '.env'), 'SHOP_DOTENV_PROBE=read\n');

    execFileSync(process.execPath, ['scripts/generate-clients.mjs', 'customers'], { cwd: copy, stdio: 'pipe' });
    const probe = execFileSync(process.execPath, ['-e', "require('./src/generated/prisma'); console.log(process.env.SHOP_DOTENV_PROBE ?? 'unset')"], {
      cwd: path.join(copy, 'services/customers'),
      encoding: 'utf8',
    });
    expect(probe.trim().split('\n').at(-1)).toBe('unset');
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}, 120_000);
