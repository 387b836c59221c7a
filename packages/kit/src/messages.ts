import type { z } from 'zod';

/**
 * The per-parse error map of every request part (api.ts): a missing field reads "required", not zod's "expected
 * string, received undefined". A schema's own message, where it has one, still wins (zod's precedence).
 */
export const missingIsRequired = (issue: z.core.$ZodRawIssue): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;
