// docs/database.md is generated from the Prisma schemas; other changes to a schema must regenerate it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

describe('docs/database.md', () => {
  it('matches the ER diagrams generated from prisma/*/schema.prisma now (run `pnpm db:diagrams` to update)', () => {
    const fresh = execFileSync(process.execPath, ['scripts/er-diagrams.mjs', '--stdout'], { cwd: ROOT, encoding: 'utf8' });
    const committed = fs.readFileSync(path.join(ROOT, 'docs/database.md'), 'utf8');
    expect(committed).toBe(fresh);
  });

  it('draws every model of every schema', () => {
    const page = fs.readFileSync(path.join(ROOT, 'docs/database.md'), 'utf8');
    for (const service of ['customers', 'inventory', 'sales', 'reviews']) {
      const schema = fs.readFileSync(path.join(ROOT, 'prisma', service, 'schema.prisma'), 'utf8');
      for (const [, model, body] of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
        const table = /@@map\("([^"]+)"\)/.exec(body!)?.[1] ?? model!;
        expect(page).toContain(`  ${table} {`);
      }
    }
  });
});
