// What reviews' webhook events mean and carry (docs/events.md is generated from this: `pnpm docs:reference`).
import type { EventCatalogue } from '@shop/kit';
import { REVIEW_EVENT_TYPES } from './data/reviews.repo';
import { review } from './routes/reviews.schemas';

const approved = {
  id: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  itemId: '6a1f0c9e-2b3d-4e5f-8a7b-9c0d1e2f3a4b',
  username: 'alice',
  rating: 5,
  comment: 'Perfect crema.',
  status: 'approved',
  verifiedPurchase: true,
  reportCount: 0,
  createdAt: '2026-11-30T05:22:00.000Z',
  updatedAt: '2026-11-30T05:23:00.000Z',
};

export const REVIEW_EVENTS: EventCatalogue<(typeof REVIEW_EVENT_TYPES)[number]> = {
  'review.approved': { when: 'A moderator approved a review (`POST /reviews/:id/moderation`, `approve`).', data: review, example: approved },
  'review.rejected': {
    when: 'A moderator rejected a review (`POST /reviews/:id/moderation`, `reject`).',
    data: review,
    example: { ...approved, rating: 1, comment: 'Buy it elsewhere: www.example.com', status: 'rejected' },
  },
};
