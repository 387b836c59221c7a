// Development and test database plumbing: an embedded PostgreSQL when no URL is configured,
// database creation, and a Prisma-compatible migration applier.
export { startEmbeddedPostgres, type EmbeddedServer } from './embedded';
export { ensureDatabase, applyMigrations } from './migrate';
export { freePort } from './ports';
