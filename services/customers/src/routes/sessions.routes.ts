import { page, pageQuery, type Api } from '@shop/kit';
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
      const { data, total } = await sessions.list(user, params.username, query);
      return { body: page(data, total, query) };
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
