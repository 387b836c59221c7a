import {
  counter,
  createApi,
  createServiceApp,
  createTokenVerifier,
  createWebhooks,
  listOptions,
  registerMetrics,
  serviceCounter,
  serviceRetention,
  Unauthorized,
  type AppDeps,
} from '@shop/kit';
import type { Config } from './config';
import { accountsRepo } from './data/accounts.repo';
import { booksRepo } from './data/books.repo';
import { CUSTOMER_EVENT_TYPES, customersRepo } from './data/customers.repo';
import type { Db } from './data/db';
import { endedSessionsRepo } from './data/ended-sessions.repo';
import { rateLimitsRepo } from './data/rate-limits.repo';
import { customersPruneRules } from './data/retention';
import { sessionsRepo } from './data/sessions.repo';
import { walletRepo } from './data/wallet.repo';
import { accountsDomain } from './domain/accounts';
import { booksDomain } from './domain/books';
import { customersDomain } from './domain/customers';
import { endedSessionsFeed } from './domain/ended-sessions';
import { loginThrottle, registrationLimit } from './domain/rate-limits';
import { accountSessions, sessionsDomain } from './domain/sessions';
import { walletDomain } from './domain/wallet';
import type { Signer } from './keys';
import { internalAccountRoutes } from './routes/accounts.routes';
import { authRoutes, jwksRoute } from './routes/auth.routes';
import { internalBooksRoutes } from './routes/books.routes';
import { customersRoutes } from './routes/customers.routes';
import { internalSessionsRoutes, sessionsRoutes } from './routes/sessions.routes';
import { internalWalletRoutes, walletRoutes } from './routes/wallet.routes';

/** Said by a login or registration 429 in development only (docs/development.md); production limits say nothing of it. */
export const LIMITS_HINT = 'In development, `pnpm reset --limits` clears the login and registration limits';

export interface Deps extends AppDeps<Config, Db> {
  signer: Signer;
}

export function createApp({ config, db, logger, signer, isReady }: Deps) {
  const lists = listOptions(config);
  const sessionRows = sessionsRepo(db, lists);
  const sessions = sessionsDomain({ sessions: sessionRows, signer, refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS, maxSessions: config.SESSIONS_PER_CUSTOMER });
  // Customers verifies its own tokens with its own keys (no HTTP round trip to itself), and, unlike the other
  // services, refuses a token whose session has ended (logout, password change, deletion) at once.
  const verifySignature = createTokenVerifier((kid) => {
    const pem = signer.publicPem(kid);
    return pem ? Promise.resolve(pem) : Promise.reject(new Error('unknown key'));
  });
  const verifyToken = async (token: string) => {
    const user = await verifySignature(token);
    if (!(await sessions.isActive(user))) throw new Unauthorized('The session of this access token has ended');
    return user;
  };
  const api = createApi({
    verifyToken,
    callers: { sales: config.SALES_TO_CUSTOMERS_TOKEN, inventory: config.INVENTORY_TO_CUSTOMERS_TOKEN, reviews: config.REVIEWS_TO_CUSTOMERS_TOKEN },
    validateResponses: config.NODE_ENV !== 'production',
  });
  const counters = rateLimitsRepo(db);
  const hint = config.NODE_ENV === 'development' ? LIMITS_HINT : undefined;
  const throttle = loginThrottle({
    counters,
    perUsernameAndAddress: config.LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS,
    perAddress: config.LOGIN_FAILURES_PER_ADDRESS,
    windowMs: config.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
    loginsPerMinute: config.LOGINS_PER_MINUTE,
    hint,
  });
  const registrations = registrationLimit({ counters, perHour: config.REGISTRATIONS_PER_HOUR, hint });
  const webhooks = createWebhooks({ service: 'customers', eventTypes: CUSTOMER_EVENT_TYPES, db, config, logger });
  // Every bcrypt comparison of a password, on /metrics: the tests prove with it that a refused guess costs none.
  const passwordChecks = serviceCounter('customers_password_checks_total', 'Passwords compared with their bcrypt hash (logins, password changes)');
  const logins = counter('customers_logins_total', 'Logins, by outcome (success, invalid_credentials, throttled, error)', ['outcome']);
  for (const outcome of ['success', 'invalid_credentials', 'throttled', 'error']) logins.inc({ outcome }, 0);
  const customers = customersDomain({
    customers: customersRepo(db, webhooks, lists),
    sessions,
    bcryptRounds: config.BCRYPT_ROUNDS,
    throttle,
    registrations,
    onPasswordCheck: () => passwordChecks.inc(),
    onLogin: (outcome) => logins.inc({ outcome }),
  });
  const ended = endedSessionsRepo(db);
  const feed = endedSessionsFeed({ ended, tokenLifetimeSeconds: config.ACCESS_TOKEN_TTL_SECONDS });
  const purges = serviceRetention({
    db,
    config,
    logger,
    rules: customersPruneRules(db, {
      endedSessionSeconds: feed.keepSeconds,
      refreshTokenDays: config.REFRESH_TOKEN_TTL_DAYS,
      voidedReferenceHours: config.VOIDED_REFERENCE_RETENTION_HOURS,
    }),
  });
  const wallet = walletDomain({ wallet: walletRepo(db, lists), customers, depositLimitCents: config.DEPOSIT_LIMIT_CENTS_PER_DAY });

  customersRoutes(api, customers);
  authRoutes(api, customers, sessions);
  sessionsRoutes(api, accountSessions({ sessions: sessionRows, customers }));
  internalSessionsRoutes(api, feed);
  walletRoutes(api, wallet);
  internalWalletRoutes(api, wallet);
  internalBooksRoutes(api, booksDomain(booksRepo(db)));
  internalAccountRoutes(api, accountsDomain({ accounts: accountsRepo(db) }));
  webhooks.routes(api);

  const app = createServiceApp({
    name: 'customers',
    description: 'Registration, login and sessions (JWT access tokens, rotating refresh tokens), profiles and the wallet ledger.',
    tags: {
      Customers: 'Accounts: register (anyone), list (admins), read, update and delete (the customer or an admin).',
      Auth: 'Log in for an access token (RS256 JWT, sent as `Authorization: Bearer <token>` to every service) and a refresh token; refresh, log out.',
      Sessions: "A customer's open sessions (one per login): list them and end one (the customer or an admin).",
      Wallet:
        'The wallet: deposits (limited per day) and the ledger of every deposit, purchase, refund and adjustment (the customer or an admin); adjustments (admins).',
      Internal: 'Called by the other services, each with its own credential (`<CALLER>_TO_<SERVICE>_TOKEN`), never by people: user tokens get 403.',
    },
    logger,
    api,
    metricsToken: config.METRICS_TOKEN,
    isReady,
    before: (app) => jwksRoute(app, signer),
    metrics: (registry) => {
      registerMetrics(registry, [passwordChecks, logins]);
      purges.register(registry);
    },
  });
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  return { app, customers, webhooks, purges };
}
