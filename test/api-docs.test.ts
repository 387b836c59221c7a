// docs/api/<service>.md is generated from each service's OpenAPI document; a route change must regenerate it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { runningServices } from './support/contract';
import { fetchAllRoutes } from './support/openapi';

const ROOT = path.resolve(__dirname, '..');

describe('docs/api', () => {
  it('matches the pages generated from the OpenAPI documents now (run `pnpm docs:api` to update)', async () => {
    const check = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/api-docs.ts', '--check'], { cwd: ROOT, encoding: 'utf8' }).then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );
    expect(check).toBe('');
  }, 120_000);

  it.each(runningServices())('%s: the page lists every operation the running service documents, public and internal, and who may call it', async (service) => {
    const page = fs.readFileSync(path.join(ROOT, 'docs/api', `${service}.md`), 'utf8');
    const document = (await fetchAllRoutes(service)) as { paths: Record<string, Record<string, { 'x-access': string }>> };
    for (const [route, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(page).toContain(`### ${method.toUpperCase()} ${route}\n`);
        expect(page).toMatch(
          new RegExp(`\\| \\[\`${method.toUpperCase()} ${route.replace(/[{}]/g, '\\$&')}\`\\]\\([^)]*\\) \\| [^\\n]* \\| ${op['x-access']} \\|`),
        );
      }
    }
  });
});
