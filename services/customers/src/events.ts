// What customers' webhook events mean and carry (docs/events.md is generated from this: `pnpm docs:reference`).
import type { EventCatalogue } from '@shop/kit';
import { CUSTOMER_EVENT_TYPES } from './data/customers.repo';
import { customer } from './routes/customers.schemas';

const alice = {
  id: '0b7d3c0e-5e2a-4a8c-9f0d-1c2b3a4d5e6f',
  username: 'alice',
  firstName: 'Alice',
  lastName: 'Liddell',
  age: 30,
  address: '1 Rabbit Hole',
  gender: 'female',
  maritalStatus: 'single',
  balanceCents: 0,
  role: 'customer',
  createdAt: '2026-11-30T05:20:00.123Z',
  updatedAt: '2026-11-30T05:20:00.123Z',
};

export const CUSTOMER_EVENTS: EventCatalogue<(typeof CUSTOMER_EVENT_TYPES)[number]> = {
  'customer.created': { when: 'An account was registered (`POST /customers`).', data: customer, example: alice },
  'customer.deleted': {
    when: 'An account was deleted (`DELETE /customers/:username`); `data` is the account as it was just before.',
    data: customer,
    example: { ...alice, balanceCents: 2500, updatedAt: '2026-12-01T09:00:00.000Z' },
  },
};
