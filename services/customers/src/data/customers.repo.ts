import { Conflict, isUniqueViolation, keysetPage, type EventRecorder, type ListOptions, type PageQuery } from '@shop/kit';
import type { Customer, CustomerChanges, CustomersRepo, NewCustomer, Role } from '../domain/model';
import type { Customer as Row } from '../generated/prisma';
import type { Db } from './db';

export const CUSTOMER_EVENT_TYPES = ['customer.created', 'customer.deleted'] as const;
export type Events = EventRecorder<(typeof CUSTOMER_EVENT_TYPES)[number]>;

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

/** `q` is matched literally: `%`, `_` and `\\` in it are not wildcards. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The columns of a Customer, named as Prisma's model names them, for the hand-written statements. */
const COLUMNS = `id, username, first_name AS "firstName", last_name AS "lastName", age, address, gender, marital_status AS "maritalStatus",
  balance_cents AS "balanceCents", role, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Registration and deletion write their event (customer.created, customer.deleted) in the same transaction. */
export function customersRepo(db: Db, events: Events, lists: ListOptions): CustomersRepo {
  return {
    /** Throws Conflict when the username is taken (in any letter case): the unique index on username_key decides. */
    async create(input: NewCustomer): Promise<Customer> {
      try {
        return await db.sql.transaction(async (tx) => {
          const [row] = await tx.query<Row>(
            `INSERT INTO customers (id, username, username_key, password_hash, first_name, last_name, age, address, gender, marital_status, updated_at)
             VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::int, $7, $8::"Gender", $9::"MaritalStatus", now()) RETURNING ${COLUMNS}`,
            input.username,
            key(input.username),
            input.passwordHash,
            input.firstName,
            input.lastName,
            input.age,
            input.address,
            input.gender,
            input.maritalStatus,
          );
          const customer = toCustomer(row!);
          await events.record(tx, 'customer.created', customer);
          return customer;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new Conflict('That username is taken');
        throw error;
      }
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
        const [row] = await tx.query<Row>(`DELETE FROM customers WHERE id = $1::uuid RETURNING ${COLUMNS}`, id);
        if (!row) return 'missing';
        await events.record(tx, 'customer.deleted', toCustomer(row));
        return 'deleted';
      });
    },

    /** By username; `q` matches username, first or last name (trigram indexes, migration 20261207000000). */
    async list(query: { q?: string } & PageQuery) {
      const { limit, offset, after, ...filters } = query;
      const where = filters.q ? ['(username ILIKE $1 OR first_name ILIKE $1 OR last_name ILIKE $1)'] : [];
      // Without q, the total is list_counts' (maintained on write by triggers, migration 20261207100000): no count.
      const [counted] = filters.q
        ? []
        : await db.sql.query<{ n: string }>(`SELECT coalesce(sum(count), 0)::text AS n FROM list_counts WHERE name = 'customers'`);
      const { rows, listed } = await keysetPage<Row>(
        db.sql,
        {
          binding: ['customers', filters],
          select: COLUMNS,
          from: 'customers',
          where,
          params: filters.q ? [likePattern(filters.q)] : [],
          keys: [{ expr: 'username_key', type: 'text' }],
          descending: false,
          search: filters.q !== undefined,
          knownTotal: counted && Number(counted.n),
        },
        { limit, offset, after },
        lists,
      );
      return { ...listed, data: rows.map(toCustomer) };
    },

    /** Creates the admin account; a replica starting at the same moment may win the race (then nothing happens). */
    async createAdmin(input: NewCustomer): Promise<void> {
      await db.prisma.customer.createMany({ data: [{ ...input, role: 'admin', usernameKey: key(input.username) }], skipDuplicates: true });
    },
  };
}
