import { PrismaPg } from '@prisma/adapter-pg';

/** Builds a service's generated PrismaClient on the pg driver adapter (no query-engine binary). */
export function createPrisma<C>(PrismaClient: new (options: { adapter: PrismaPg }) => C, url: string, poolSize: number): C {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) });
}

/** Postgres error codes we act on, whether raised through Prisma or pg. */
export function pgErrorCode(error: unknown): string | undefined {
  const e = error as { code?: string; meta?: { code?: string }; cause?: { code?: string } };
  return e?.meta?.code ?? e?.cause?.code ?? e?.code;
}
