import type { Customer as Row, Gender, MaritalStatus, Prisma, Role } from '../generated/prisma';
import type { Db } from './db';

export interface Customer {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  age: number;
  address: string;
  gender: Gender;
  maritalStatus: MaritalStatus;
  balanceCents: number;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

export interface NewCustomer {
  username: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  age: number;
  address: string;
  gender: Gender;
  maritalStatus: MaritalStatus;
  role?: Role;
}

export type CustomerChanges = Partial<Omit<NewCustomer, 'username' | 'role'>>;

export function toCustomer(row: Row): Customer {
  return {
    id: row.id,
    username: row.username,
    firstName: row.firstName,
    lastName: row.lastName,
    age: row.age,
    address: row.address,
    gender: row.gender,
    maritalStatus: row.maritalStatus,
    balanceCents: Number(row.balanceCents),
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const key = (username: string) => username.toLowerCase();

export function customersRepo(db: Db) {
  return {
    async create(input: NewCustomer): Promise<Customer> {
      return toCustomer(await db.prisma.customer.create({ data: { ...input, usernameKey: key(input.username) } }));
    },

    async findByUsername(username: string): Promise<Customer | undefined> {
      const row = await db.prisma.customer.findUnique({ where: { usernameKey: key(username) } });
      return row ? toCustomer(row) : undefined;
    },

    /** Only login needs the hash; it never leaves this service. */
    async findCredentials(username: string) {
      return db.prisma.customer.findUnique({
        where: { usernameKey: key(username) },
        select: { id: true, username: true, role: true, passwordHash: true },
      });
    },

    async passwordHash(id: string): Promise<string | undefined> {
      const row = await db.prisma.customer.findUnique({ where: { id }, select: { passwordHash: true } });
      return row?.passwordHash;
    },

    /** By id, not by name: the name may belong to another account by the time the change arrives. */
    async update(id: string, changes: CustomerChanges): Promise<Customer | undefined> {
      const rows = await db.prisma.customer.updateManyAndReturn({ where: { id }, data: changes });
      return rows[0] ? toCustomer(rows[0]) : undefined;
    },

    /**
     * Deletes an account, unless it is the last admin. Deleting an admin first locks every admin row, so two
     * admins deleting each other at once queue, and the second finds itself the last one.
     */
    async remove(id: string): Promise<'deleted' | 'missing' | 'last_admin'> {
      return db.sql.transaction(async (tx) => {
        const [target] = await tx.query<{ role: Role }>('SELECT role FROM customers WHERE id = $1::uuid', id);
        if (!target) return 'missing';
        if (target.role === 'admin') {
          const admins = await tx.query<{ id: string }>(`SELECT id FROM customers WHERE role = 'admin' ORDER BY id FOR UPDATE`);
          if (!admins.some((admin) => admin.id === id)) return 'missing';
          if (admins.length === 1) return 'last_admin';
        }
        return (await tx.execute('DELETE FROM customers WHERE id = $1::uuid', id)) > 0 ? 'deleted' : 'missing';
      });
    },

    async list(query: { q?: string; limit: number; offset: number }) {
      const where: Prisma.CustomerWhereInput = query.q
        ? {
            OR: (['username', 'firstName', 'lastName'] as const).map((field) => ({
              [field]: { contains: query.q, mode: 'insensitive' as const },
            })),
          }
        : {};
      const [rows, total] = await Promise.all([
        db.prisma.customer.findMany({ where, orderBy: { usernameKey: 'asc' }, take: query.limit, skip: query.offset }),
        db.prisma.customer.count({ where }),
      ]);
      return { data: rows.map(toCustomer), total };
    },

    /** Creates the admin account; a replica starting at the same moment may win the race (then nothing happens). */
    async createAdmin(input: NewCustomer): Promise<void> {
      await db.prisma.customer.createMany({ data: [{ ...input, role: 'admin', usernameKey: key(input.username) }], skipDuplicates: true });
    },
  };
}
export type CustomersRepo = ReturnType<typeof customersRepo>;
