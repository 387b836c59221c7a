import bcrypt from 'bcrypt';
import { requireSelfOrAdmin, type User } from '@shop/kit/auth';
import { ConfigError } from '@shop/kit/config';
import { Conflict, InvalidCredentials, NotFound, RateLimited, ValidationFailed } from '@shop/kit/errors';
import type { Customer, CustomerChanges, CustomersRepo, NewCustomer } from './model';
import { assertStrongPassword } from './password-policy';
import type { LoginThrottle, RegistrationLimit } from './rate-limits';
import type { SessionsDomain } from './sessions';

export interface Registration extends Omit<NewCustomer, 'passwordHash' | 'role'> {
  password: string;
}
/** How a login ended, for /metrics (a fixed set: never the username). */
export type LoginOutcome = 'success' | 'invalid_credentials' | 'throttled' | 'error';
export type ProfileChanges = Omit<CustomerChanges, 'passwordHash'> & { password?: string; currentPassword?: string };

/** Every account's username matches this (the registration schema enforces it). */
const ACCOUNT_NAME = /^[A-Za-z0-9_.-]{3,32}$/;

export function customersDomain(deps: {
  customers: CustomersRepo;
  sessions: SessionsDomain;
  bcryptRounds: number;
  throttle: LoginThrottle;
  registrations: RegistrationLimit;
  /** Called for every bcrypt comparison of a password (a counter on /metrics: the throttle must come first). */
  onPasswordCheck?: () => void;
  /** Called once per login with its outcome (a counter on /metrics). */
  onLogin?: (outcome: LoginOutcome) => void;
}) {
  const { customers, sessions, bcryptRounds, throttle, registrations, onPasswordCheck = () => {}, onLogin = () => {} } = deps;
  const passwordMatches = (password: string, hash: string) => {
    onPasswordCheck();
    return bcrypt.compare(password, hash);
  };
  // Compared against when the username is unknown, so both failures cost one bcrypt and look the same.
  const decoyHash = bcrypt.hashSync('decoy-password', bcryptRounds);

  /** The account behind `username`, if the actor is that account (by id) or an admin. */
  async function load(actor: User, username: string): Promise<Customer> {
    const customer = await customers.findByUsername(username);
    requireSelfOrAdmin(actor, customer?.id);
    if (!customer) throw new NotFound(`No customer named ${username}`);
    return customer;
  }

  /**
   * Whoever sets their own password proves they know the current one, admins included (a stolen access token
   * must not become the account); an admin setting another customer's password does not need theirs.
   */
  async function newPasswordHash(actor: User, customer: Customer, password: string | undefined, currentPassword: string | undefined, clientAddress: string) {
    if (password === undefined) {
      if (currentPassword !== undefined)
        throw new ValidationFailed('currentPassword goes only with password', [{ path: 'body.currentPassword', message: 'only with password' }]);
      return undefined;
    }
    if (actor.id === customer.id) {
      if (currentPassword === undefined) {
        throw new ValidationFailed('Changing the password needs the current one', [
          { path: 'body.currentPassword', message: 'is required to change the password' },
        ]);
      }
      // Guesses here count with the login's: a stolen token must not become an unlimited password oracle.
      const attempt = await throttle.attempt(customer.username, clientAddress, 'password_change');
      const stored = await customers.passwordHash(customer.id);
      if (!stored || !(await passwordMatches(currentPassword, stored))) throw new InvalidCredentials('The current password is wrong');
      await attempt.succeeded();
    }
    assertStrongPassword(password, [customer.username, customer.firstName, customer.lastName]);
    return bcrypt.hash(password, bcryptRounds);
  }

  return {
    load,

    async register({ password, ...profile }: Registration, clientAddress: string): Promise<Customer> {
      await registrations(clientAddress);
      assertStrongPassword(password, [profile.username, profile.firstName, profile.lastName]);
      const passwordHash = await bcrypt.hash(password, bcryptRounds);
      return customers.create({ ...profile, passwordHash });
    },

    /** Checks the password and opens a session. */
    async login(username: string, password: string, clientAddress: string, userAgent: string | undefined) {
      try {
        // Counted before bcrypt runs: a guess refused by a limit costs no hash.
        const attempt = await throttle.attempt(username, clientAddress, 'login');
        // A name no account can have (registration allows only these characters) is not looked up: it is an
        // unknown username, and strings the database cannot take as they are (a lone surrogate) never reach it.
        const credentials = ACCOUNT_NAME.test(username) ? await customers.findCredentials(username) : null;
        const matches = await passwordMatches(password, credentials?.passwordHash ?? decoyHash);
        if (!credentials || !matches) throw new InvalidCredentials('Wrong username or password');
        await attempt.succeeded();
        const session = await sessions.open(credentials, userAgent);
        onLogin('success');
        return session;
      } catch (error) {
        onLogin(error instanceof InvalidCredentials ? 'invalid_credentials' : error instanceof RateLimited ? 'throttled' : 'error');
        throw error;
      }
    },

    async update(actor: User, username: string, { password, currentPassword, ...changes }: ProfileChanges, clientAddress: string): Promise<Customer> {
      const customer = await load(actor, username);
      const passwordHash = await newPasswordHash(actor, customer, password, currentPassword, clientAddress);
      const updated = await customers.update(customer.id, { ...changes, ...(passwordHash && { passwordHash }) });
      if (!updated) throw new NotFound(`No customer named ${username}`);
      // A new password ends every session: whoever knew the old one (or holds a stolen token) is out.
      if (passwordHash) await sessions.endAll(customer.id);
      return updated;
    },

    /** Its sessions, wallet and ledger go with it (ON DELETE CASCADE). */
    async remove(actor: User, username: string): Promise<void> {
      const customer = await load(actor, username);
      const outcome = await customers.remove(customer.id);
      if (outcome === 'last_admin') throw new Conflict('The last admin account cannot be deleted');
      if (outcome === 'missing') throw new NotFound(`No customer named ${username}`);
    },

    list: (query: Parameters<CustomersRepo['list']>[0]) => customers.list(query),

    /**
     * Creates the admin account on first start; an existing admin keeps its password. An existing customer
     * of that name is never promoted: whoever registered it (perhaps after the admin was deleted) would
     * become admin with their own password.
     */
    async ensureAdmin(username: string, password: string) {
      const existing = await customers.findCredentials(username);
      if (!existing) {
        await customers.createAdmin({
          username,
          passwordHash: await bcrypt.hash(password, bcryptRounds),
          firstName: 'Shop',
          lastName: 'Administrator',
          age: 0,
          address: '',
          gender: 'unspecified',
          maritalStatus: 'other',
        });
      }
      const admin = existing ?? (await customers.findCredentials(username));
      if (admin?.role !== 'admin') {
        throw new ConfigError(
          `ADMIN_USERNAME "${username}" is an existing customer account, which start-up never promotes to admin. ` +
            'Choose another ADMIN_USERNAME, or delete that account first.',
        );
      }
    },
  };
}
export type CustomersDomain = ReturnType<typeof customersDomain>;
