import { pageOf, pageQuery, z } from '@shop/kit';

const status = z.enum(['pending', 'approved', 'rejected']);
const rating = z.number().int().min(1).max(5).openapi({ example: 4 });
const comment = z.string().max(2000).openapi({ example: 'Warm, and the zip survived a winter.' });
const itemId = z.uuid().openapi({ example: '7d444840-9dc0-11d1-b245-5ffdce74fad2' });

export const review = z
  .object({
    id: z.uuid(),
    itemId: z.uuid(),
    username: z.string(),
    rating: z.number().int().min(1).max(5),
    comment: z.string(),
    status,
    verifiedPurchase: z.boolean().openapi({ description: 'The author has a completed sale of the item' }),
    reportCount: z.number().int().min(0),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Review');

export const reviewPage = pageOf(review, 'ReviewPage');

const count = z.number().int().min(0);
export const summary = z
  .object({
    count,
    average: z.number().min(1).max(5).nullable().openapi({ description: 'Mean approved rating, rounded half away from zero to 2 decimals; null when none' }),
    distribution: z.object({ '1': count, '2': count, '3': count, '4': count, '5': count }),
  })
  .openapi('RatingSummary');

export const itemReviewPage = pageOf(review, 'ItemReviewPage', { summary });

export const newReview = z
  .strictObject({ itemId, rating, comment: comment.default('') })
  .openapi('NewReview', { example: { itemId: '7d444840-9dc0-11d1-b245-5ffdce74fad2', rating: 4, comment: 'Warm, and the zip survived a winter.' } });

export const reviewChanges = z
  .strictObject({ rating, comment })
  .partial()
  .refine((changes) => changes.rating !== undefined || changes.comment !== undefined, { message: 'Send rating, comment or both' })
  .openapi('ReviewChanges', { example: { rating: 3, comment: 'The zip gave up in spring.' } });

export const moderation = z
  .strictObject({
    action: z.enum(['approve', 'reject']),
    note: z.string().max(1000).default('').openapi({ description: 'Why; kept with the decision, the moderator and the time' }),
  })
  .openapi('Moderation', { example: { action: 'reject', note: 'Personal data in the comment' } });

export const newReport = z.strictObject({ reason: z.string().trim().min(1).max(500) }).openapi('NewReport', { example: { reason: 'Advertises another shop' } });

export const report = z.object({ id: z.uuid(), reviewId: z.uuid(), reason: z.string(), createdAt: z.iso.datetime() }).openapi('ReviewReport');
export const reportPage = pageOf(
  report.extend({
    username: z.string().openapi({ description: 'Who reported' }),
    counts: z.boolean().openapi({
      description:
        'Counts toward the threshold: its reporter has REPORT_MIN_SPEND_CENTS of net purchases (as of their last refund) and was old enough when reporting',
    }),
  }),
  'ReviewReportPage',
);

export const idParams = z.object({ id: z.uuid() });
export const itemParams = z.object({ itemId: z.uuid() });
export const usernameParams = z.object({ username: z.string().regex(/^[A-Za-z0-9_.-]{3,32}$/, '3–32 letters, digits, _ . or -') });
export const queueQuery = pageQuery.extend({ status: status.default('pending') });
export { pageQuery };
