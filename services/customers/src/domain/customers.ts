import bcrypt from 'bcrypt';
import { Conflict, InvalidCredentials, NotFound, pgErrorCode, requireSelfOrAdmin, type User } from '@shop/kit';
import type { Customer, CustomerChanges, CustomersRepo, NewCustomer } from '../data/customers.repo';
import type { Signer } from '../keys';
import type { LoginThrottle } from './login-throttle';

export interface Registration extends Omit<NewCustomer, 'passwordHash' | 'role'> {
  password: string;
}
export type ProfileChanges = Omit<CustomerChanges, 'passwordHash'> & { password?: string };

export function customersDomain(deps: { customers: CustomersRepo; signer: Signer; bcryptRounds: number; throttle: LoginThrottle }) {
  const { customers, signer, bcryptRounds, throttle } = deps;
  // Compared against when the username is unknown, so both failures cost one bcrypt and look the same.
  const decoyHash = bcrypt.hashSync('decoy-password', bcryptRounds);

  async function load(actor: User, username: string): Promise<Customer> {
    requireSelfOrAdmin(actor, username);
    const customer = await customers.findByUsername(username);
    if (!customer) throw new NotFound(`No customer named ${username}`);
    return customer;
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

    async update(actor: User, username: string, { password, ...changes }: ProfileChanges): Promise<Customer> {
      await load(actor, username);
      const passwordHash = password === undefined ? undefined : await bcrypt.hash(password, bcryptRounds);
      const updated = await customers.update(username, { ...changes, ...(passwordHash && { passwordHash }) });
      if (!updated) throw new NotFound(`No customer named ${username}`);
      return updated;
    },

    async remove(actor: User, username: string): Promise<void> {
      requireSelfOrAdmin(actor, username);
      if (!(await customers.remove(username))) throw new NotFound(`No customer named ${username}`);
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
