// What the customers domain works with: its entities and the repositories that store them. The data layer
// implements these interfaces, so the domain never sees Prisma, pg or SQL.

import type { Listed, PageQuery } from '@shop/kit/pagination';

export type Role = 'customer' | 'admin';
export type Gender = 'male' | 'female' | 'other' | 'unspecified';
export type MaritalStatus = 'single' | 'married' | 'divorced' | 'widowed' | 'other';

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

export interface Customer extends Omit<NewCustomer, 'passwordHash' | 'role'> {
  id: string;
  balanceCents: number;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

export type CustomerChanges = Partial<Omit<NewCustomer, 'username' | 'role'>>;

/** What login compares against; the hash never leaves this service. */
export interface Credentials {
  id: string;
  username: string;
  role: Role;
  passwordHash: string;
}

export interface CustomersRepo {
  /** Throws Conflict when the username is taken (in any letter case). */
  create(input: NewCustomer): Promise<Customer>;
  findByUsername(username: string): Promise<Customer | undefined>;
  /** Only login needs the hash; it never leaves this service. */
  findCredentials(username: string): Promise<Credentials | null>;
  passwordHash(id: string): Promise<string | undefined>;
  update(id: string, changes: CustomerChanges): Promise<Customer | undefined>;
  /** Refuses to delete the last admin. */
  remove(id: string): Promise<'deleted' | 'missing' | 'last_admin'>;
  list(query: { q?: string } & PageQuery): Promise<{ data: Customer[] } & Listed>;
  createAdmin(input: NewCustomer): Promise<void>;
}

/** A counter and how many attempts it allows in its window. */
export interface Limit {
  key: string;
  max: number;
}

/** Attempt counters (logins, registrations), shared by every replica. */
export interface RateLimitsRepo {
  /**
   * Counts one attempt on each `count` limit, unless a `count` or `check` limit is already full (then nothing is
   * written); answers when the refusing limit resets, or undefined when the attempt is allowed.
   */
  take(count: Limit[], check: Limit[], windowMs: number): Promise<{ resetAt: Date } | undefined>;
  /** Takes one attempt back from each key. */
  refund(keys: string[]): Promise<void>;
}

export interface Session {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
}

/** Who a session belongs to, as the access token names them. */
export interface SessionOwner {
  sessionId: string;
  id: string;
  username: string;
  role: Role;
}

/** Sessions and their refresh tokens (stored only as SHA-256 hashes); an ended session is a deleted row. */
export interface SessionsRepo {
  /** Past `maxSessions` open sessions, the oldest end. */
  open(input: {
    customerId: string;
    passwordHash: string;
    tokenHash: string;
    ttlDays: number;
    userAgent: string | null;
    maxSessions: number;
  }): Promise<string | undefined>;
  isActive(sessionId: string, customerId: string): Promise<boolean>;
  /** Exchanges a refresh token for a new one; 'reused' for an already-rotated token (which ends the session). */
  rotate(tokenHash: string, newTokenHash: string, ttlDays: number): Promise<SessionOwner | 'reused' | undefined>;
  endByToken(tokenHash: string): Promise<void>;
  list(customerId: string, page: PageQuery): Promise<{ data: Session[] } & Listed>;
  end(customerId: string, sessionId: string): Promise<boolean>;
  endAll(customerId: string): Promise<void>;
}

/** A session that ended while live, as the feed publishes it. */
export interface EndedSession {
  sessionId: string;
  /** To the millisecond (the feed's cursor carries it). */
  endedAt: Date;
}

/** Ended sessions (written by a trigger on sessions): the feed's pages and their retention. */
export interface EndedSessionsRepo {
  /** Up to `limit` ended sessions after the position (endedAt, sessionId), in that order. */
  after(position: { endedAt: Date; sessionId: string }, limit: number): Promise<EndedSession[]>;
}

export type LedgerType = 'deposit' | 'purchase' | 'refund' | 'adjustment';
export interface LedgerEntry {
  id: string;
  type: LedgerType;
  amountCents: number;
  balanceAfterCents: number;
  reference: string | null;
  /** Why an admin adjusted the wallet: adjustments only. */
  reason?: string;
  createdAt: string;
}

export type DepositResult = { outcome: 'deposited'; entry: LedgerEntry } | { outcome: 'limit_exceeded' | 'no_customer' };
export type AdjustResult = { outcome: 'adjusted'; entry: LedgerEntry } | { outcome: 'insufficient_funds' | 'no_customer' };
export type DebitResult =
  | { outcome: 'debited' | 'already_debited'; entry: LedgerEntry }
  | { outcome: 'insufficient_funds' | 'no_customer' | 'session_ended' | 'voided' | 'reference_mismatch' };
export type RefundResult = { outcome: 'refunded' | 'already_refunded'; entry: LedgerEntry } | { outcome: 'voided' };
export type CreditResult = { outcome: 'credited' | 'already_credited'; entry: LedgerEntry } | { outcome: 'no_customer' | 'reference_mismatch' };

export interface WalletRepo {
  /** A deposit, unless the customer's deposits of the last 24 h would then exceed `limitCents` (serialised per customer). */
  deposit(customerId: string, amountCents: number, limitCents: number): Promise<DepositResult>;
  /** An admin's adjustment (either sign, no limit); a result below zero is refused. */
  adjust(customerId: string, amountCents: number, reason: string): Promise<AdjustResult>;
  /** A purchase's debit, made only while the buyer's session `sessionId` is live (checked under its row lock). */
  debit(customerId: string, amountCents: number, reference: string, sessionId: string): Promise<DebitResult>;
  refund(customerId: string, reference: string): Promise<RefundResult>;
  /** Money back for a refund of a sale (reference = the refund id), once per reference. */
  credit(customerId: string, amountCents: number, reference: string): Promise<CreditResult>;
  /** The balance now, or undefined when there is no such customer. */
  balance(customerId: string): Promise<number | undefined>;
  listEntries(customerId: string, page: PageQuery): Promise<{ data: LedgerEntry[] } & Listed>;
  findEntry(customerId: string, id: string): Promise<LedgerEntry | undefined>;
}

/** What another service may learn of an account: that it exists, and since when (reviews weighs reports by it). */
export interface AccountFacts {
  id: string;
  createdAt: string;
}

export interface AccountsRepo {
  facts(id: string): Promise<AccountFacts | undefined>;
}

export type { LedgerFact, WalletFact } from '@shop/kit/books';
import type { LedgerFact, WalletFact } from '@shop/kit/books';
export type MissingDebitOutcome = 'debited' | 'already_debited' | 'voided' | 'insufficient_funds' | 'no_customer' | 'reference_mismatch';

/** The books audit's reads (pages in id order, keyset) and its one repair here. */
export interface BooksRepo {
  ledgerByReferences(references: string[]): Promise<LedgerFact[]>;
  /** Which of these customers exist. */
  existingCustomers(ids: string[]): Promise<string[]>;
  ledgerPage(after: string | undefined, limit: number): Promise<LedgerFact[]>;
  walletsPage(after: string | undefined, limit: number): Promise<WalletFact[]>;
  recordMissingDebit(customerId: string, amountCents: number, reference: string): Promise<MissingDebitOutcome>;
}
