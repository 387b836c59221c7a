import type { Request, RequestHandler } from 'express';
import { ValidationFailed, type FieldError } from './errors';

// Strings no route may pass on, whatever its schema says, checked once for every route before its middleware (a
// rate limiter), its authentication and its handler see the request:
// - U+0000: PostgreSQL text cannot hold it (a 500 from the database);
// - a string that is not well-formed UTF-16 (a lone surrogate, which JSON can carry as "\ud800"): PostgreSQL and
//   every UTF-8 encoder choke on it or change it (a 500 from a rate limiter's insert, a username stored as U+FFFD).

declare global {
  interface String {
    /** ES2024 (Node ≥ 20); the project's lib is ES2022. */
    isWellFormed(): boolean;
  }
}

const NUL = 'must not contain the NUL character (U+0000)';
const ILL_FORMED = 'must be well-formed UTF-16 (it holds a lone surrogate, which no encoding can store)';

const problemWith = (text: string) => (text.includes('\u0000') ? NUL : text.isWellFormed() ? undefined : ILL_FORMED);

/**
 * The first string (a value or an object key) anywhere in `root` that no route may take, with its path. A walk
 * with its own stack (no recursion, whatever the depth) that builds a path only for the value it reports.
 */
export function unsafeString(root: unknown): { path: string[]; message: string } | undefined {
  interface Step {
    value: unknown;
    key?: string;
    parent?: Step;
  }
  const pathOf = (step: Step | undefined, last?: string) => {
    const path = last === undefined ? [] : [last];
    for (; step?.key !== undefined; step = step.parent) path.unshift(step.key);
    return path;
  };
  const stack: Step[] = [{ value: root }];
  for (let step = stack.pop(); step; step = stack.pop()) {
    const { value } = step;
    if (typeof value === 'string') {
      const message = problemWith(value);
      if (message) return { path: pathOf(step), message };
    } else if (value && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        const message = problemWith(key);
        if (message) return { path: pathOf(step, key), message };
        stack.push({ value: (value as Record<string, unknown>)[key], key, parent: step });
      }
    }
  }
  return undefined;
}

/** What of a request is checked, by the name its errors' paths start with. */
export const requestParts = (req: Request) => ({ params: req.params, query: req.query, headers: req.headers, body: req.body as unknown });

/** Every part of the request (path parameters, query, header values, body) → 400 naming each part's first bad string. */
export const refuseUnsafeStrings: RequestHandler = (req, _res, next) => {
  const errors: FieldError[] = [];
  for (const [part, value] of Object.entries(requestParts(req))) {
    const found = unsafeString(value);
    if (found) errors.push({ path: [part, ...found.path].join('.'), message: found.message });
  }
  if (errors.length) throw new ValidationFailed('The request is not valid', errors);
  next();
};
