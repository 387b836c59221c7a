// docs/configuration.md, .env.example and docs/events.md are generated from the config schemas and the event
// declarations (`pnpm docs:reference`); a new variable or event type must regenerate them, and each must be described.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { system } from '@shop/testkit';
import { CUSTOMER_EVENTS } from '../services/customers/src/events';
import { ITEM_EVENTS } from '../services/inventory/src/events';
import { REVIEW_EVENTS } from '../services/reviews/src/events';
import { SALE_EVENTS } from '../services/sales/src/events';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('generated references', () => {
  it('match what `pnpm docs:reference` generates from the code now', async () => {
    const check = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reference-docs.ts', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );
    expect(check).toBe('');
  }, 120_000);

  it('docs/configuration.md and .env.example name every variable the test system gives a service', () => {
    const page = read('docs/configuration.md');
    const example = read('.env.example');
    const given = new Set(Object.values(system().env).flatMap((env) => Object.keys(env)));
    const missing = [...given].filter((name) => !page.includes(`| \`${name}\` |`) || !example.includes(`# ${name}=`));
    expect(missing).toEqual([]);
  });

  it('docs/events.md documents every event type a subscription may name, in every service', () => {
    const page = read('docs/events.md');
    const catalogues = [CUSTOMER_EVENTS, ITEM_EVENTS, SALE_EVENTS, REVIEW_EVENTS];
    const types = catalogues.flatMap((catalogue) => Object.keys(catalogue));
    expect(types.length).toBeGreaterThanOrEqual(10);
    for (const type of types) expect(page).toContain(`### \`${type}\`\n`);
  });
});
