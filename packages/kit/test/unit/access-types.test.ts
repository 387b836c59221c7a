// The handler's `user` follows the route's declared access. These are compile-time checks (pnpm typecheck
// fails if a @ts-expect-error line stops being an error); the run only confirms the routes register.
import { createApi, type Access } from '../../src/api';

const api = createApi({ verifyToken: () => Promise.reject(new Error('not called')), validateResponses: true });
const spec = <A extends Access>(access: A, path: string) => ({
  method: 'get' as const,
  path,
  tag: 't',
  summary: 's',
  access,
  response: { status: 204, description: 'none' },
});

describe('typed access in api.route', () => {
  it('gives user and admin routes a User, optional routes a User or undefined, public routes none', () => {
    api.route(spec('user', '/u'), ({ user, requestId }) => ({ body: `${user.id} ${requestId}` }));
    api.route(spec('admin', '/a'), ({ user }) => ({ body: user.role }));
    api.route(spec('optional', '/o'), ({ user }) => ({ body: user?.id }));
    // @ts-expect-error an optional route's caller may be absent
    api.route(spec('optional', '/o2'), ({ user }) => ({ body: user.id }));
    // @ts-expect-error a public route has no caller
    api.route(spec('public', '/p'), ({ user }) => ({ body: user.id }));
    expect(api.router.stack).toHaveLength(5);
  });
});
