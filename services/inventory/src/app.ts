import { createApi, createServiceApp, createTokenVerifier, jwksKeyResolver, type Logger } from '@shop/kit';
import type { Config } from './config';
import type { Db } from './data/db';

export interface Deps {
  config: Config;
  db: Db;
  logger: Logger;
  isReady: () => Promise<boolean>;
}

export function createApp({ config, logger, isReady }: Deps) {
  const verifyToken = createTokenVerifier(jwksKeyResolver(config.JWKS_URL));
  const api = createApi({ verifyToken, serviceToken: config.SERVICE_TOKEN, validateResponses: config.NODE_ENV !== 'production' });
  return createServiceApp({
    name: 'inventory',
    description: 'Items, categories, prices and stock.',
    port: config.PORT,
    logger,
    registry: api.registry,
    router: api.router,
    isReady,
  });
}
