import { z } from '../zod';
import type { Api } from '../api';
import { Conflict, NotFound, ValidationFailed } from '../errors';
import { page, pageOf, pageQuery } from '../pagination';
import { newSecret } from './signing';
import type { WebhookStore } from './store';
import { checkTarget, TargetRefused } from './targets';

const TAG = 'Webhooks';

function schemas(eventTypes: readonly string[]) {
  const url = z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .openapi({
      description: 'Where deliveries are POSTed: http(s); loopback, private, link-local and metadata addresses are refused',
      example: 'https://example.com/hooks/shop',
    });
  const events = z
    .array(z.enum(['*', ...eventTypes] as [string, ...string[]]))
    .min(1)
    .max(eventTypes.length + 1)
    .transform((list) => [...new Set(list)])
    .openapi({ description: `This service's event types, or \`["*"]\` for all: ${eventTypes.map((t) => `\`${t}\``).join(', ')}` });
  const description = z.string().max(500);
  const subscription = z
    .object({
      id: z.uuid(),
      url: z.string(),
      events: z.array(z.string()),
      description: z.string(),
      active: z.boolean(),
      createdAt: z.iso.datetime(),
      updatedAt: z.iso.datetime(),
    })
    .openapi('WebhookSubscription');
  const delivery = z
    .object({
      id: z.uuid(),
      eventId: z.uuid(),
      eventType: z.string(),
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.number().int().min(0),
      lastStatusCode: z.number().int().nullable(),
      lastError: z.string().nullable(),
      nextAttemptAt: z.iso.datetime().nullable(),
      createdAt: z.iso.datetime(),
      deliveredAt: z.iso.datetime().nullable(),
    })
    .openapi('WebhookDelivery');
  return {
    newSubscription: z
      .strictObject({ url, events, description: description.default('') })
      .openapi('NewWebhookSubscription', { example: { url: 'https://example.com/hooks/shop', events: [eventTypes[0]!], description: 'fulfilment' } }),
    changes: z
      .strictObject({ url, events, description, active: z.boolean() })
      .partial()
      .openapi('WebhookSubscriptionChanges', { example: { active: false } }),
    subscription,
    created: subscription
      .extend({ secret: z.string().openapi({ description: 'The signing secret (`whsec_` + base64): shown only in this answer' }) })
      .openapi('NewWebhookSubscriptionAnswer'),
    subscriptionPage: pageOf(subscription, 'WebhookSubscriptionPage'),
    delivery,
    deliveryPage: pageOf(delivery, 'WebhookDeliveryPage'),
    deliveryQuery: pageQuery.extend({ status: z.enum(['pending', 'delivered', 'failed']).optional() }),
    params: z.object({ id: z.uuid() }),
    deliveryParams: z.object({ id: z.uuid(), deliveryId: z.uuid() }),
  };
}

/** The subscription API, the same on every service for its own event types (admin only). */
export function webhookRoutes(api: Api, options: { store: WebhookStore; eventTypes: readonly string[]; allowPrivateTargets: boolean }) {
  const { store } = options;
  const s = schemas(options.eventTypes);

  async function checkUrl(url: string) {
    await checkTarget(url, options.allowPrivateTargets).catch((error) => {
      if (error instanceof TargetRefused) throw new ValidationFailed('The URL cannot receive webhooks', [{ path: 'body.url', message: error.message }]);
      throw error;
    });
  }
  async function load(id: string) {
    const found = await store.find(id);
    if (!found) throw new NotFound('No such webhook subscription');
    return found;
  }

  api.route(
    {
      method: 'post',
      path: '/webhooks',
      tag: TAG,
      summary: 'Subscribe a URL to events (admin)',
      description: 'The answer carries the signing secret; it is never shown again.',
      access: 'admin',
      request: { body: s.newSubscription },
      response: { status: 201, description: 'The subscription, with its secret', schema: s.created, headers: { Location: 'URL of the subscription' } },
    },
    async ({ body, res }) => {
      await checkUrl(body.url);
      const secret = newSecret();
      const created = await store.create({ ...body, secret });
      // The secret is in this one answer: no cache may keep it.
      res.setHeader('Cache-Control', 'no-store');
      return { body: { ...created, secret }, headers: { Location: `/webhooks/${created.id}` } };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/webhooks',
      tag: TAG,
      summary: 'List webhook subscriptions (admin)',
      access: 'admin',
      request: { query: pageQuery },
      response: { status: 200, description: 'A page of subscriptions, oldest first', schema: s.subscriptionPage },
    },
    async ({ query }) => {
      const { data, ...listed } = await store.list(query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/webhooks/:id',
      tag: TAG,
      summary: 'Read a webhook subscription (admin)',
      access: 'admin',
      request: { params: s.params },
      response: { status: 200, description: 'The subscription', schema: s.subscription },
      errors: ['not_found'],
    },
    async ({ params }) => ({ body: await load(params.id) }),
  );

  api.route(
    {
      method: 'patch',
      path: '/webhooks/:id',
      tag: TAG,
      summary: 'Change a webhook subscription (admin)',
      description: 'Setting `active: true` again resumes its pending deliveries.',
      access: 'admin',
      request: { params: s.params, body: s.changes },
      response: { status: 200, description: 'The subscription', schema: s.subscription },
      errors: ['not_found'],
    },
    async ({ params, body }) => {
      if (body.url !== undefined) await checkUrl(body.url);
      const updated = await store.update(params.id, body);
      if (!updated) throw new NotFound('No such webhook subscription');
      return { body: updated };
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/webhooks/:id',
      tag: TAG,
      summary: 'Delete a webhook subscription (admin)',
      description: 'Its pending deliveries are dropped.',
      access: 'admin',
      request: { params: s.params },
      response: { status: 204, description: 'Deleted' },
      errors: ['not_found'],
    },
    async ({ params }) => {
      if (!(await store.remove(params.id))) throw new NotFound('No such webhook subscription');
      return { status: 204 };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/webhooks/:id/deliveries',
      tag: TAG,
      summary: "List a subscription's deliveries (admin)",
      access: 'admin',
      request: { params: s.params, query: s.deliveryQuery },
      response: { status: 200, description: 'A page of deliveries, newest first', schema: s.deliveryPage },
      errors: ['not_found'],
    },
    async ({ params, query }) => {
      await load(params.id);
      const { data, ...listed } = await store.deliveries(params.id, query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/webhooks/:id/deliveries/:deliveryId/retries',
      tag: TAG,
      summary: 'Try a delivery again now (admin)',
      description: 'For a failed (or still pending) delivery. 409 when it was delivered already or the subscription is inactive.',
      access: 'admin',
      request: { params: s.deliveryParams },
      response: { status: 202, description: 'The delivery, due now', schema: s.delivery },
      errors: ['not_found', 'conflict'],
    },
    async ({ params }) => {
      const result = await store.retry(params.id, params.deliveryId);
      switch (result.outcome) {
        case 'retried':
          return { body: result.delivery };
        case 'no_delivery':
          throw new NotFound('No such delivery of this subscription');
        case 'delivered':
          throw new Conflict('This delivery was made already');
        case 'inactive':
          throw new Conflict('The subscription is inactive: activate it first (PATCH active: true)');
      }
    },
  );
}
