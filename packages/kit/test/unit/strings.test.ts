// The check every route runs first (strings.ts): no NUL and no string that is not well-formed UTF-16, in any part
// of the request. Over HTTP only a JSON body can carry a lone surrogate (`"\ud800"`): a path segment's percent-encoded
// bytes fail to decode (400 from the router), a query's decode to U+FFFD and a header's bytes arrive as Latin-1. So
// the other parts are checked here, with a request as Express hands it over.
import type { Request } from 'express';
import { ValidationFailed } from '../../src/errors';
import { refuseUnsafeStrings, unsafeString } from '../../src/strings';

/** What refuseUnsafeStrings does with a request made of these parts: the errors it throws, or 'next'. */
function check(parts: Partial<Record<'params' | 'query' | 'headers' | 'body', unknown>>) {
  const req = { params: {}, query: {}, headers: {}, body: undefined, ...parts } as unknown as Request;
  try {
    let passed = false;
    refuseUnsafeStrings(req, {} as never, () => (passed = true));
    return passed ? 'next' : 'neither';
  } catch (error) {
    if (error instanceof ValidationFailed) return error.errors;
    throw error;
  }
}

describe('refuseUnsafeStrings', () => {
  it('refuses a lone surrogate in each part of the request, naming where', () => {
    const errors = check({
      params: { username: 'a\ud800b' },
      query: { q: ['fine', '\udfff'] },
      headers: { 'idempotency-key': 'k\udc00' },
      body: { lines: [{ itemId: 'x' }, { note: 'tail\ud83d' }] },
    });
    expect(errors).toEqual([
      { path: 'params.username', message: expect.stringMatching(/well-formed UTF-16/) },
      { path: 'query.q.1', message: expect.stringMatching(/well-formed UTF-16/) },
      { path: 'headers.idempotency-key', message: expect.stringMatching(/well-formed UTF-16/) },
      { path: 'body.lines.1.note', message: expect.stringMatching(/well-formed UTF-16/) },
    ]);
  });

  it('refuses NUL and lone surrogates in object keys too', () => {
    expect(check({ body: { ['a\u0000']: 1 } })).toEqual([{ path: 'body.a\u0000', message: expect.stringMatching(/NUL/) }]);
    expect(check({ body: { nested: { ['k\udbff']: 1 } } })).toEqual([{ path: 'body.nested.k\udbff', message: expect.stringMatching(/well-formed/) }]);
  });

  it('passes every well-formed string on, astral characters (surrogate pairs) included', () => {
    expect(check({ params: { id: '😀' }, query: { q: 'ünïcödé 𝄞' }, headers: { accept: '*/*' }, body: { comment: 'a😀b', list: ['\u{10ffff}'] } })).toBe(
      'next',
    );
  });

  it('walks any depth without recursion', () => {
    let deep: unknown = 'bad\ud800';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unsafeString(deep)?.path).toHaveLength(100_000);
  });
});
