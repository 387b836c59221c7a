import { createApi, createServiceApp, createTokenVerifier, type Logger } from '@shop/kit';
import type { Config } from './config';
import { customersRepo } from './data/customers.repo';
import type { Db } from './data/db';
import { rateLimitsRepo } from './data/rate-limits.repo';
import { walletRepo } from './data/wallet.repo';
import { customersDomain } from './domain/customers';
import { loginThrottle, registrationLimit } from './domain/rate-limits';
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
  const api = createApi({ verifyToken, callers: { sales: config.SALES_TO_CUSTOMERS_TOKEN }, validateResponses: config.NODE_ENV !== 'production' });
  const counters = rateLimitsRepo(db);
  const throttle = loginThrottle({
    counters,
    perUsernameAndAddress: config.LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS,
    perAddress: config.LOGIN_FAILURES_PER_ADDRESS,
    windowMs: config.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
  });
  const registrations = registrationLimit({ counters, perHour: config.REGISTRATIONS_PER_HOUR });
  const customers = customersDomain({ customers: customersRepo(db), signer, bcryptRounds: config.BCRYPT_ROUNDS, throttle, registrations });
  const wallet = walletDomain({ wallet: walletRepo(db), customers });

  customersRoutes(api, customers);
  authRoutes(api, customers);
  walletRoutes(api, wallet);
  internalWalletRoutes(api, wallet);

  const app = createServiceApp({
    name: 'customers',
    description: 'Registration, login (JWT), profiles and the wallet ledger.',
    logger,
    registry: api.registry,
    router: api.router,
    isReady,
    before: (app) => jwksRoute(app, signer),
  });
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  return { app, customers };
}
