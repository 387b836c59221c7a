import type { Queryable } from '../database';
import { bySeq, keysetPage, type ListOptions } from '../lists';
import type { PageQuery } from '../pagination';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A subscription as the API shows it; the secret leaves only once, in the answer that created it. */
export interface Subscription {
  id: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const SUBSCRIPTION_COLUMNS = 'id, url, events, description, active, created_at, updated_at';
interface SubscriptionRow {
  id: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}
const toSubscription = (row: SubscriptionRow): Subscription => ({
  id: row.id,
  url: row.url,
  events: row.events,
  description: row.description,
  active: row.active,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const DELIVERY_COLUMNS = 'id, event_id, event_type, status, attempts, last_status_code, last_error, next_attempt_at, created_at, delivered_at';
interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  delivered_at: Date | null;
}
const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  eventId: row.event_id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  nextAttemptAt: row.status === 'pending' ? (row.next_attempt_at?.toISOString() ?? null) : null,
  createdAt: row.created_at.toISOString(),
  deliveredAt: row.delivered_at?.toISOString() ?? null,
});

/** The subscriptions and their deliveries, as the admin API reads and changes them (the worker's statements are in queue.ts). */
export function webhookStore(sql: Queryable, lists: ListOptions) {
  return {
    async create(input: { url: string; events: string[]; description: string; secret: string }): Promise<Subscription> {
      const [row] = await sql.query<SubscriptionRow>(
        `INSERT INTO webhook_subscriptions (id, url, events, description, secret, updated_at)
         VALUES (gen_random_uuid(), $1, $2::text[], $3, $4, now()) RETURNING ${SUBSCRIPTION_COLUMNS}`,
        input.url,
        input.events,
        input.description,
        input.secret,
      );
      return toSubscription(row!);
    },

    /** Oldest first. */
    async list(page: PageQuery) {
      const { rows, listed } = await keysetPage<SubscriptionRow>(
        sql,
        {
          binding: ['webhooks'],
          select: SUBSCRIPTION_COLUMNS,
          from: 'webhook_subscriptions',
          where: [],
          params: [],
          keys: [
            { expr: 'created_at', type: 'timestamptz' },
            { expr: 'id', type: 'uuid' },
          ],
          descending: false,
        },
        page,
        lists,
      );
      return { ...listed, data: rows.map(toSubscription) };
    },

    async find(id: string): Promise<Subscription | undefined> {
      const [row] = await sql.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1::uuid`, id);
      return row && toSubscription(row);
    },

    async update(id: string, changes: { url?: string; events?: string[]; description?: string; active?: boolean }): Promise<Subscription | undefined> {
      const [row] = await sql.query<SubscriptionRow>(
        `UPDATE webhook_subscriptions SET url = coalesce($2, url), events = coalesce($3::text[], events),
           description = coalesce($4, description), active = coalesce($5, active), updated_at = now()
         WHERE id = $1::uuid RETURNING ${SUBSCRIPTION_COLUMNS}`,
        id,
        changes.url ?? null,
        changes.events ?? null,
        changes.description ?? null,
        changes.active ?? null,
      );
      return row && toSubscription(row);
    },

    /** Its deliveries go with it (ON DELETE CASCADE): pending ones are dropped. */
    async remove(id: string): Promise<boolean> {
      return (await sql.execute('DELETE FROM webhook_subscriptions WHERE id = $1::uuid', id)) > 0;
    },

    /** Newest first, by the index on (subscription_id, seq). */
    async deliveries(subscriptionId: string, filter: { status?: DeliveryStatus } & PageQuery) {
      const { limit, offset, after, status } = filter;
      const { rows, listed } = await keysetPage<DeliveryRow>(
        sql,
        {
          binding: ['webhook-deliveries', subscriptionId, status ?? null],
          select: DELIVERY_COLUMNS,
          from: 'webhook_deliveries',
          where: ['subscription_id = $1::uuid', ...(status ? ['status = $2::"WebhookDeliveryStatus"'] : [])],
          params: status ? [subscriptionId, status] : [subscriptionId],
          keys: bySeq(),
          descending: true,
        },
        { limit, offset, after },
        lists,
      );
      return { ...listed, data: rows.map(toDelivery) };
    },

    /**
     * A failed (or still pending) delivery is due now, for at least one more attempt: when that one fails
     * too, a delivery past its 24 h is failed again.
     */
    async retry(
      subscriptionId: string,
      deliveryId: string,
    ): Promise<{ outcome: 'retried'; delivery: Delivery } | { outcome: 'no_delivery' | 'delivered' | 'inactive' }> {
      const [row] = await sql.query<DeliveryRow & { active: boolean }>(
        `SELECT d.status, s.active FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
         WHERE d.id = $2::uuid AND d.subscription_id = $1::uuid`,
        subscriptionId,
        deliveryId,
      );
      if (!row) return { outcome: 'no_delivery' };
      if (row.status === 'delivered') return { outcome: 'delivered' };
      if (!row.active) return { outcome: 'inactive' };
      const [retried] = await sql.query<DeliveryRow>(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), give_up_at = greatest(give_up_at, now())
         WHERE id = $1::uuid AND status <> 'delivered' RETURNING ${DELIVERY_COLUMNS}`,
        deliveryId,
      );
      return retried ? { outcome: 'retried', delivery: toDelivery(retried) } : { outcome: 'delivered' };
    },
  };
}
export type WebhookStore = ReturnType<typeof webhookStore>;
