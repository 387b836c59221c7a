import bcrypt from 'bcrypt';
import { Conflict, InvalidCredentials, NotFound, pgErrorCode, requireSelfOrAdmin, ValidationFailed, type User } from '@shop/kit';
import type { Customer, CustomerChanges, CustomersRepo, NewCustomer } from '../data/customers.repo';
import type { Signer } from '../keys';
import type { LoginThrottle } from './login-throttle';

export interface Registration extends Omit<NewCustomer, 'passwordHash' | 'role'> {
  password: string;
}
export type ProfileChanges = Omit<CustomerChanges, 'passwordHash'> & { password?: string; currentPassword?: string };

export function customersDomain(deps: { customers: CustomersRepo; signer: Signer; bcryptRounds: number; throttle: LoginThrottle }) {
  const { customers, signer, bcryptRounds, throttle } = deps;
  // Compared against when the username is unknown, so both failures cost one bcrypt and look the same.
  const decoyHash = bcrypt.hashSync('decoy-password', bcryptRounds);

  /** The account behind `username`, if the actor is that account (by id) or an admin. */
  async function load(actor: User, username: string): Promise<Customer> {
    const customer = await customers.findByUsername(username);
    requireSelfOrAdmin(actor, customer?.id);
    if (!customer) throw new NotFound(`No customer named ${username}`);
    return customer;
  }

  /** A customer setting a new password proves they know the current one; an admin may set one without it. */
  async function newPasswordHash(actor: User, customer: Customer, password: string | undefined, currentPassword: string | undefined) {
    if (password === undefined) {
      if (currentPassword !== undefined) throw new ValidationFailed('currentPassword goes only with password', [{ path: 'body.currentPassword', message: 'only with password' }]);
      return undefined;
    }
    if (actor.role !== 'admin') {
      if (currentPassword === undefined) {
        throw new ValidationFailed('Changing the password needs the current one', [{ path: 'body.currentPassword', message: 'is required to change the password' }]);
      }
      const stored = await customers.passwordHash(customer.id);
      if (!stored || !(await bcrypt.compare(currentPassword, stored))) throw new InvalidCredentials('The current password is wrong');
    }
    return bcrypt.hash(password, bcryptRounds);
  }

  return {
    load,

    async register({ password, ...profile }: Registration): Promise<Customer> {
      const passwordHash = await bcrypt.hash(password, bcryptRounds);
      try {
        return await customers.create({ ...profile, passwordHash });
      } catch (error) {
        if (pgErrorCode(error) === 'P2002' || pgErrorCode(error) === '23505') throw new Conflict('That username is taken');
        throw error;
      }
    },

    async login(username: string, password: string, clientAddress: string) {
      await throttle.check(username, clientAddress);
      const credentials = await customers.findCredentials(username);
      const matches = await bcrypt.compare(password, credentials?.passwordHash ?? decoyHash);
      if (!credentials || !matches) {
        await throttle.recordFailure(username, clientAddress);
        throw new InvalidCredentials('Wrong username or password');
      }
      return {
        accessToken: signer.sign({ id: credentials.id, username: credentials.username, role: credentials.role }),
        tokenType: 'Bearer' as const,
        expiresIn: signer.ttlSeconds,
      };
    },

    async update(actor: User, username: string, { password, currentPassword, ...changes }: ProfileChanges): Promise<Customer> {
      const customer = await load(actor, username);
      const passwordHash = await newPasswordHash(actor, customer, password, currentPassword);
      const updated = await customers.update(customer.id, { ...changes, ...(passwordHash && { passwordHash }) });
      if (!updated) throw new NotFound(`No customer named ${username}`);
      return updated;
    },

    async remove(actor: User, username: string): Promise<void> {
      const customer = await load(actor, username);
      if (!(await customers.remove(customer.id))) throw new NotFound(`No customer named ${username}`);
    },

    list: customers.list,

    /** Creates the admin account on first start; an existing one keeps its password. */
    async ensureAdmin(username: string, password: string) {
      const existing = await customers.findCredentials(username);
      if (existing?.role === 'admin') return;
      await customers.ensureAdmin({
        username,
        passwordHash: await bcrypt.hash(password, bcryptRounds),
        firstName: 'Shop',
        lastName: 'Administrator',
        age: 0,
        address: '',
        gender: 'unspecified',
        maritalStatus: 'other',
      });
    },
  };
}
export type CustomersDomain = ReturnType<typeof customersDomain>;
