import { page, pageQuery, ValidationFailed, type Api } from '@shop/kit';
import { decodeCursor, type EndedSessionsFeed } from '../domain/ended-sessions';
import type { AccountSessions } from '../domain/sessions';
import * as s from './customers.schemas';

const TAG = 'Sessions';

export function sessionsRoutes(api: Api, sessions: AccountSessions) {
  api.route(
    {
      method: 'get',
      path: '/customers/:username/sessions',
      tag: TAG,
      summary: 'Open sessions, newest first (self or admin)',
      access: 'user',
      request: { params: s.usernameParams, query: pageQuery },
      response: { status: 200, description: 'A page of sessions', schema: s.sessionPage },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, query, user }) => {
      const { data, ...listed } = await sessions.list(user, params.username, query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/customers/:username/sessions/:id',
      tag: TAG,
      summary: 'End one session (self or admin)',
      description: 'Its refresh token stops working, and customers refuses its access tokens at once.',
      access: 'user',
      request: { params: s.sessionParams },
      response: { status: 204, description: 'The session has ended' },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, user }) => {
      await sessions.end(user, params.username, params.id);
      return { status: 204 };
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/customers/:username/sessions',
      tag: TAG,
      summary: 'End every session (self or admin)',
      description: 'Logs the customer out everywhere, this session included.',
      access: 'user',
      request: { params: s.usernameParams },
      response: { status: 204, description: 'Every session has ended' },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, user }) => {
      await sessions.endAll(user, params.username);
      return { status: 204 };
    },
  );
}

/** The ended sessions every other service's verifier reads (one poller per process, every second or so). */
export function internalSessionsRoutes(api: Api, feed: EndedSessionsFeed) {
  api.route(
    {
      method: 'get',
      path: '/internal/sessions/ended',
      tag: 'Internal',
      summary: 'Sessions that have ended, after a cursor (the verifiers of the other services read this)',
      description:
        'Every end of a live session (logout, session end, password change, account deletion, refresh-token reuse, the sessions cap), ' +
        'oldest first, kept until its access tokens have expired. Once caught up, the cursor looks a few seconds back, so an end ' +
        'committed late is never skipped: an end may be sent twice.',
      access: 'service',
      callers: ['sales', 'inventory', 'reviews'],
      request: { query: s.endedSessionsQuery },
      response: { status: 200, description: 'A page of ended sessions', schema: s.endedSessions },
    },
    async ({ query }) => {
      const cursor = query.after === undefined ? undefined : decodeCursor(query.after);
      if (query.after !== undefined && !cursor)
        throw new ValidationFailed('The cursor is not valid', [{ path: 'query.after', message: 'not a cursor of this feed' }]);
      return { body: await feed.page(cursor) };
    },
  );
}
