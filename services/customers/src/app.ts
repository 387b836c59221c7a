import { rateLimit } from 'express-rate-limit';
import { createApi, createServiceApp, createTokenVerifier, RateLimited, type Logger } from '@shop/kit';
import type { Config } from './config';
import { customersRepo } from './data/customers.repo';
import type { Db } from './data/db';
import { PostgresRateLimitStore } from './data/rate-limit.store';
import { walletRepo } from './data/wallet.repo';
import { customersDomain } from './domain/customers';
import { walletDomain } from './domain/wallet';
import type { Signer } from './keys';
import { authRoutes, jwksRoute } from './routes/auth.routes';
import { customersRoutes } from './routes/customers.routes';
import { internalWalletRoutes, walletRoutes } from './routes/wallet.routes';

export interface Deps {
  config: Config;
  db: Db;
  logger: Logger;
  signer: Signer;
  isReady: () => Promise<boolean>;
}

export function createApp({ config, db, logger, signer, isReady }: Deps) {
  // Customers verifies its own tokens with its own key: no HTTP round trip to itself.
  const verifyToken = createTokenVerifier(async (kid) => {
    if (kid !== signer.kid) throw new Error('unknown key');
    return signer.publicPem;
  });
  const api = createApi({ verifyToken, serviceToken: config.SERVICE_TOKEN, validateResponses: config.NODE_ENV !== 'production' });
  const customers = customersDomain({ customers: customersRepo(db), signer, bcryptRounds: config.BCRYPT_ROUNDS });
  const wallet = walletDomain({ wallet: walletRepo(db), customers });

  // Only failures count (skipSuccessfulRequests): an office behind one NAT logging in all day is never blocked.
  const loginLimiter = (prefix: string, limit: number, keyGenerator?: (req: { body?: { username?: unknown } }) => string) =>
    rateLimit({
      windowMs: config.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
      limit,
      skipSuccessfulRequests: true,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      store: new PostgresRateLimitStore(db, prefix),
      ...(keyGenerator && { keyGenerator }),
      handler: (_req, _res, next) => next(new RateLimited('Too many failed logins; try again later')),
    });
  const loginLimiters = [
    loginLimiter('login-address:', config.LOGIN_FAILURES_PER_ADDRESS),
    loginLimiter('login-username:', config.LOGIN_FAILURES_PER_USERNAME, (req) =>
      typeof req.body?.username === 'string' ? req.body.username.toLowerCase().slice(0, 64) : '',
    ),
  ];

  customersRoutes(api, customers);
  authRoutes(api, customers, loginLimiters);
  walletRoutes(api, wallet);
  internalWalletRoutes(api, wallet);

  const app = createServiceApp({
    name: 'customers',
    description: 'Registration, login (JWT), profiles and the wallet ledger.',
    port: config.PORT,
    logger,
    registry: api.registry,
    router: api.router,
    isReady,
    before: (app) => jwksRoute(app, signer),
  });
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  return { app, customers };
}
