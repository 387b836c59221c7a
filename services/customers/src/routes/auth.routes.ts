import type { Express } from 'express';
import { clientAddress, NO_STORE, type Api } from '@shop/kit';
import type { CustomersDomain } from '../domain/customers';
import type { Signer } from '../keys';
import * as s from './customers.schemas';

export function authRoutes(api: Api, customers: CustomersDomain) {
  api.route(
    {
      method: 'post',
      path: '/auth/login',
      tag: 'Auth',
      summary: 'Log in and receive an access token',
      description: 'Failed attempts are limited per username and per client address; successful ones are not counted.',
      access: 'public',
      request: { body: s.login },
      response: { status: 200, description: 'A signed access token (RS256)', schema: s.token },
      errors: ['invalid_credentials', 'rate_limited'],
    },
    async ({ body, req }) => ({ body: await customers.login(body.username, body.password, clientAddress(req)), headers: NO_STORE }),
  );
}

/** The public keys other services verify tokens with; cacheable, since keys change only on rotation. */
export function jwksRoute(app: Express, signer: Signer) {
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(signer.jwks);
  });
}
