// The kit's pure helpers: no server, no database.
import { bearerToken, isServiceToken, requireSelfOrAdmin, type User } from '../../src/auth';
import { isUniqueViolation, pgErrorCode } from '../../src/database';
import { AppError, Conflict, problemCodes } from '../../src/errors';
import { entityTag, noneMatch } from '../../src/http-cache';
import { page, pageQuery, queryBoolean } from '../../src/pagination';
import { problemBody, toAppError } from '../../src/problem';

describe('bearerToken', () => {
  it('takes the token from a Bearer header, in any letter case, and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'Bearer a b', 'xBearer abc']) expect(bearerToken(header)).toBeUndefined();
  });
});

describe('isServiceToken', () => {
  it('accepts exactly the expected token, whatever the lengths', () => {
    const expected = 's'.repeat(40);
    expect(isServiceToken(expected, expected)).toBe(true);
    expect(isServiceToken(`${expected}x`, expected)).toBe(false);
    expect(isServiceToken('', expected)).toBe(false);
  });
});

describe('requireSelfOrAdmin', () => {
  const alice: User = { id: '1', username: 'Alice', role: 'customer', sessionId: 's' };
  it('lets customers act on the account that is theirs by id, never by name, and admins on any', () => {
    expect(() => requireSelfOrAdmin(alice, '1')).not.toThrow();
    expect(() => requireSelfOrAdmin({ id: '2', username: 'root', role: 'admin', sessionId: 's' }, '1')).not.toThrow();
    expect(() => requireSelfOrAdmin({ id: '2', username: 'root', role: 'admin', sessionId: 's' }, undefined)).not.toThrow();
    // Another account (even one that later took the name Alice), or no account behind the name at all.
    for (const accountId of ['3', undefined])
      expect(() => requireSelfOrAdmin(alice, accountId)).toThrow(expect.objectContaining({ status: 403, code: 'forbidden' }));
  });
});

describe('HTTP caching', () => {
  it('derives a strong, opaque tag from the version and the query, and matches If-None-Match as RFC 9110 says', () => {
    const tag = entityTag('42.7', 'limit=20');
    expect(tag).toMatch(/^"[\w-]{22}"$/);
    expect(tag).not.toContain('42');
    expect(entityTag('42.7', 'limit=20')).toBe(tag);
    expect(new Set([tag, entityTag('42.8', 'limit=20'), entityTag('42.7', 'limit=21')]).size).toBe(3);
    expect(noneMatch(tag, tag)).toBe(true);
    expect(noneMatch(`"other", W/${tag}`, tag)).toBe(true);
    expect(noneMatch(' * ', tag)).toBe(true);
    expect(noneMatch(undefined, tag)).toBe(false);
    expect(noneMatch('"other"', tag)).toBe(false);
  });
});

describe('storage errors', () => {
  it('recognises a unique violation from Prisma, from pg, and from pg under Prisma’s adapter', () => {
    expect(isUniqueViolation({ code: 'P2002' })).toBe(true);
    expect(isUniqueViolation({ code: '23505' })).toBe(true);
    expect(isUniqueViolation({ cause: { code: '23505' } })).toBe(true);
    expect(isUniqueViolation({ meta: { code: '23505' } })).toBe(true);
    expect(isUniqueViolation({ code: '23503' })).toBe(false);
    expect(isUniqueViolation(new Error('boom'))).toBe(false);
    expect(pgErrorCode(undefined)).toBeUndefined();
  });
});

describe('problem answers', () => {
  it('writes the contract’s problem body from an error', () => {
    expect(problemBody(new Conflict('That username is taken'))).toEqual({
      type: 'https://shop.example/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'That username is taken',
      code: 'conflict',
    });
  });

  it('maps body-parser and Prisma errors onto the contract’s codes, and anything else to a 500 that tells nothing', () => {
    expect(toAppError({ type: 'entity.parse.failed' })).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(toAppError({ type: 'entity.too.large' })).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(toAppError({ type: 'charset.unsupported' })).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(toAppError({ code: 'P2002' })).toMatchObject({ status: 409, code: 'conflict' });
    expect(toAppError({ code: 'P2025' })).toMatchObject({ status: 404, code: 'not_found' });
    const internal = toAppError(new Error('password=hunter2 at db.internal:5432'));
    expect(internal).toMatchObject({ status: 500, code: 'internal' });
    expect(internal.message).not.toContain('hunter2');
  });

  it('gives every error class the status the contract lists for its code', () => {
    const conflict = new Conflict();
    expect(conflict).toBeInstanceOf(AppError);
    expect(problemCodes[conflict.code as keyof typeof problemCodes]).toBe(conflict.status);
  });
});

describe('pagination', () => {
  it('defaults to 20 from 0, bounds the limit to 1–100, and coerces query strings', () => {
    expect(pageQuery.parse({})).toEqual({ limit: 20 });
    expect(pageQuery.parse({ limit: '5', offset: '10' })).toEqual({ limit: 5, offset: 10 });
    for (const bad of [{ limit: '0' }, { limit: '101' }, { offset: '-1' }, { limit: '1.5' }]) expect(pageQuery.safeParse(bad).success).toBe(false);
    const listed = { total: 7, totalIsEstimate: false, nextCursor: 'c' };
    expect(page(['a'], listed, { limit: 1, offset: 3 })).toEqual({ data: ['a'], total: 7, totalIsEstimate: false, limit: 1, offset: 3, nextCursor: 'c' });
    expect(page(['a'], listed, { limit: 1 })).toMatchObject({ offset: 0 });
    // A page read by cursor has no offset.
    expect(page(['a'], listed, { limit: 1, after: 'c' })).toEqual({ data: ['a'], total: 7, totalIsEstimate: false, limit: 1, nextCursor: 'c' });
  });

  it('takes only the words true and false as query booleans', () => {
    expect(queryBoolean.parse('true')).toBe(true);
    expect(queryBoolean.parse('false')).toBe(false);
    for (const bad of ['1', 'yes', 'TRUE', '']) expect(queryBoolean.safeParse(bad).success).toBe(false);
  });
});
