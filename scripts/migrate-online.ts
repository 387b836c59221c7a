// Sales' migration 20261207100000_sale_lines_by_item done online, before the deploy that brings it, for a database
// whose sale_lines is too big to rewrite under a lock (docs/operations.md, "Migrations: expand, then contract"):
//
//   DATABASE_URL=postgresql://…/sales pnpm migrate:online [--batch 5000]
//
// Short-locked steps (column + trigger, a batched backfill, CREATE INDEX CONCURRENTLY, CHECK NOT VALID + VALIDATE,
// SET NOT NULL, the old index dropped concurrently), then the migration is recorded as applied with its file's
// checksum, so the deploy's migration step skips it. Idempotent: run it again after a failure. Exit 0 = done.
import path from 'node:path';
import { migrateSaleLinesOnline } from '@shop/devkit';

async function main() {
  const url = process.env.DATABASE_URL;
  const at = process.argv.indexOf('--batch');
  const batchSize = at > 0 ? Number(process.argv[at + 1]) : 5000;
  if (!url || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    console.error('usage: DATABASE_URL=postgresql://…/sales pnpm migrate:online [--batch 1..100000]');
    process.exit(2);
  }
  const result = await migrateSaleLinesOnline(url, path.resolve(__dirname, '..', 'prisma', 'sales', 'migrations'), {
    batchSize,
    log: (line) => console.log(line),
  });
  if (result === 'already applied') console.log('sale_lines_by_item: already applied, nothing to do');
}

main().catch((error: Error) => {
  console.error(`online migration failed: ${error.message} (every step is idempotent: run it again)`);
  process.exit(1);
});
