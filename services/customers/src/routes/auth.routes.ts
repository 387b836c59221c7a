import type { Express } from 'express';
import { clientAddress, NO_STORE, type Api } from '@shop/kit';
import type { CustomersDomain } from '../domain/customers';
import type { SessionsDomain } from '../domain/sessions';
import type { Signer } from '../keys';
import * as s from './customers.schemas';

export function authRoutes(api: Api, customers: CustomersDomain, sessions: SessionsDomain) {
  api.route(
    {
      method: 'post',
      path: '/auth/login',
      tag: 'Auth',
      summary: 'Log in: an access token and the refresh token of a new session',
      description: 'Failed attempts are limited per (username, client address) and per client address; successful ones are not counted.',
      access: 'public',
      request: { body: s.login },
      response: { status: 200, description: 'A signed access token (RS256) and a refresh token', schema: s.tokens },
      errors: ['invalid_credentials', 'rate_limited'],
    },
    async ({ body, req }) => ({
      body: await customers.login(body.username, body.password, clientAddress(req), req.headers['user-agent']),
      headers: NO_STORE,
    }),
  );

  api.route(
    {
      method: 'post',
      path: '/auth/refresh',
      tag: 'Auth',
      summary: 'Exchange a refresh token for new tokens',
      description: 'The refresh token is rotated: the answer carries a new one, and the one sent stops working. Sending an already-used one ends its session.',
      access: 'public',
      request: { body: s.refreshRequest },
      response: { status: 200, description: 'A new access token and a new refresh token', schema: s.tokens },
      errors: ['unauthorized'],
    },
    async ({ body }) => ({ body: await sessions.refresh(body.refreshToken), headers: NO_STORE }),
  );

  api.route(
    {
      method: 'post',
      path: '/auth/logout',
      tag: 'Auth',
      summary: 'End the session of a refresh token',
      description: 'An unknown token answers 204 too. Access tokens already issued stay valid at the other services until they expire.',
      access: 'public',
      request: { body: s.refreshRequest },
      response: { status: 204, description: 'The session has ended' },
    },
    async ({ body }) => {
      await sessions.logout(body.refreshToken);
      return { status: 204 };
    },
  );
}

/** The public keys other services verify tokens with (current and previous); cacheable, since keys change only on rotation. */
export function jwksRoute(app: Express, signer: Signer) {
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(signer.jwks);
  });
}
