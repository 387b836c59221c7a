import { page, type Api } from '@shop/kit';
import { toReview } from '../domain/model';
import type { ReviewsDomain } from '../domain/reviews';
import * as s from './reviews.schemas';

const TAG = 'Reviews';

export function reviewsRoutes(api: Api, reviews: ReviewsDomain) {
  api.route(
    {
      method: 'post',
      path: '/reviews',
      tag: TAG,
      summary: 'Review an item (customers; once per item)',
      description:
        'The item is checked with inventory (404 when it does not exist, 503 when inventory cannot say). `verifiedPurchase` comes ' +
        'from sales; when sales cannot say, the review is accepted with `false` and sales is asked again later. Admins get 403.',
      access: 'user',
      request: { body: s.newReview },
      response: { status: 201, description: 'The new review, pending moderation', schema: s.review, headers: { Location: 'URL of the review' } },
      errors: ['forbidden', 'not_found', 'conflict', 'service_unavailable'],
    },
    async ({ body, user, requestId }) => {
      const created = await reviews.create(user, body, requestId);
      return { body: toReview(created), headers: { Location: `/reviews/${created.id}` } };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/reviews',
      tag: TAG,
      summary: 'Moderation queue (admin): longest waiting first',
      description: 'Reviews in one status (`pending` by default), ordered by when they entered it, oldest first.',
      access: 'admin',
      request: { query: s.queueQuery },
      response: { status: 200, description: 'A page of reviews', schema: s.reviewPage },
    },
    async ({ query }) => {
      const { data, ...listed } = await reviews.queue(query.status, query);
      return { body: page(data.map(toReview), listed, query) };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/reviews/:id',
      tag: TAG,
      summary: 'Read a review',
      description: 'Approved reviews are public; pending and rejected ones answer only their author and admins (404 to the rest).',
      access: 'optional',
      request: { params: s.idParams },
      response: { status: 200, description: 'The review', schema: s.review },
      errors: ['not_found'],
    },
    async ({ params, user }) => ({ body: toReview(await reviews.load(user, params.id)) }),
  );

  api.route(
    {
      method: 'patch',
      path: '/reviews/:id',
      tag: TAG,
      summary: 'Edit your review (author); it goes back to moderation',
      access: 'user',
      request: { params: s.idParams, body: s.reviewChanges },
      response: { status: 200, description: 'The edited review, pending again', schema: s.review },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, body, user, requestId }) => ({ body: toReview(await reviews.edit(user, params.id, body, requestId)) }),
  );

  api.route(
    {
      method: 'delete',
      path: '/reviews/:id',
      tag: TAG,
      summary: 'Delete a review (author or admin)',
      access: 'user',
      request: { params: s.idParams },
      response: { status: 204, description: 'Deleted' },
      errors: ['forbidden', 'not_found'],
    },
    async ({ params, user }) => {
      await reviews.remove(user, params.id);
      return { status: 204 };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/reviews/:id/moderation',
      tag: TAG,
      summary: 'Approve or reject a review (admin)',
      description: 'Stores the decision with its note, the moderator and the time; closes the open reports.',
      access: 'admin',
      request: { params: s.idParams, body: s.moderation },
      response: { status: 200, description: 'The moderated review', schema: s.review },
      errors: ['not_found'],
    },
    async ({ params, body, user, requestId }) => ({ body: toReview(await reviews.moderate(user, params.id, body, requestId)) }),
  );

  api.route(
    {
      method: 'post',
      path: '/reviews/:id/reports',
      tag: TAG,
      summary: 'Report a review (customers other than its author; once each)',
      description:
        'At REVIEW_REPORT_THRESHOLD counting reports since its last moderation (default 3), an approved review goes back to `pending`. ' +
        'A report counts only while its reporter has REPORT_MIN_SPEND_CENTS (default 500) of completed purchases net of refunds, and only ' +
        'if their account was REPORT_MIN_ACCOUNT_AGE_HOURS old (default 24) when reporting; other reports are kept and shown to admins ' +
        'but do not count. Each refund recounts its buyer’s reports within 5 s: a review that reports alone sent back to `pending` returns ' +
        'to `approved` when fewer than the threshold still count (a moderator’s decision is never undone). ' +
        '503 when sales or customers cannot say whether the report counts.',
      access: 'user',
      request: { params: s.idParams, body: s.newReport },
      response: { status: 201, description: 'The report', schema: s.report, headers: { Location: 'The review’s reports (admin)' } },
      errors: ['forbidden', 'not_found', 'conflict', 'service_unavailable'],
    },
    async ({ params, body, user, requestId }) => ({
      body: await reviews.report(user, params.id, body.reason, requestId),
      headers: { Location: `/reviews/${params.id}/reports` },
    }),
  );

  api.route(
    {
      method: 'get',
      path: '/reviews/:id/reports',
      tag: TAG,
      summary: 'Reports against a review, oldest first (admin)',
      access: 'admin',
      request: { params: s.idParams, query: s.pageQuery },
      response: { status: 200, description: 'A page of reports', schema: s.reportPage },
      errors: ['not_found'],
    },
    async ({ params, query }) => {
      const { data, ...listed } = await reviews.reports(params.id, query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/items/:itemId/reviews',
      tag: TAG,
      summary: "An item's approved reviews, newest first, with their rating summary",
      description:
        "The summary is the item's rating summary row, maintained in every transaction that changes an approved review and read in the same statement as the page, so it always matches them. " +
        'A deleted or unknown item answers 404 (asked of inventory); when inventory cannot say, the reviews are served anyway.',
      access: 'public',
      request: { params: s.itemParams, query: s.pageQuery },
      response: { status: 200, description: 'A page of approved reviews and the summary', schema: s.itemReviewPage },
      errors: ['not_found'],
      cache: 'revalidate',
    },
    async ({ params, query, requestId }) => {
      const { data, summary, version, ...listed } = await reviews.forItem(params.itemId, query, requestId);
      return { body: { ...page(data.map(toReview), listed, query), summary }, version };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/customers/:username/reviews',
      tag: TAG,
      summary: "A customer's reviews, newest first",
      description:
        'Anyone sees the approved reviews written under this username; the customer (self) sees all of their own, admins all. ' +
        'An unknown username is an empty page.',
      access: 'optional',
      request: { params: s.usernameParams, query: s.pageQuery },
      response: { status: 200, description: 'A page of reviews', schema: s.reviewPage },
    },
    async ({ params, query, user }) => {
      const { data, ...listed } = await reviews.forCustomer(user, params.username, query);
      return { body: page(data.map(toReview), listed, query) };
    },
  );
}
