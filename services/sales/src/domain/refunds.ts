import type { PageQuery } from '@shop/kit/pagination';
import crypto from 'node:crypto';
import type { User } from '@shop/kit/auth';
import { AppError, Conflict, Forbidden, IdempotencyKeyInUse, IdempotencyKeyReused, NotFound, ServiceUnavailable } from '@shop/kit/errors';
import { problemBody } from '@shop/kit/problem';
import { publicRefund, type Refund, type RefundDecision, type RefundLine, type RefundsRepo, type RefundToDo, type SaleToRefund } from './model';
import { observedSteps, quietObserver, runForward, type SagaDeps, type Step } from './saga';

export interface RefundInput {
  lines?: Array<{ itemId: string; quantity: number }>;
  reason?: string;
  restock?: boolean;
}

export type RefundOutcome = { replayed: false; refund: Refund } | { replayed: true; status: number; body: unknown };

const DAY_MS = 86_400_000;

/** The canonical body of a refund request, for its Idempotency-Key fingerprint. */
export const refundFingerprint = (saleId: string, input: RefundInput) => ({
  saleId: saleId.toLowerCase(),
  lines: input.lines?.map((line) => ({ itemId: line.itemId.toLowerCase(), quantity: line.quantity })) ?? null,
  reason: input.reason ?? null,
  restock: input.restock ?? true,
});

/**
 * Who may refund what (pure; run under the sale's lock): the owner within the window, an admin any time; only
 * an admin may leave the units out of stock; each line at most what no recorded refund has taken; no lines
 * means all that is left. The amount of a line is its unit price as paid × quantity.
 */
export function decideRefund(
  actor: User,
  sale: SaleToRefund | undefined,
  input: RefundInput,
  options: { windowDays: number; now: Date },
): { lines: RefundLine[] } | { error: AppError } {
  const admin = actor.role === 'admin';
  if (!sale || (!admin && sale.customerId !== actor.id)) return { error: new NotFound('No such sale') };
  if (input.restock === false && !admin) return { error: new Forbidden('Only an admin may refund without putting the units back in stock') };
  if (!admin && options.now.getTime() - sale.createdAt.getTime() > options.windowDays * DAY_MS) {
    return { error: new Forbidden(`Refunds are possible within ${options.windowDays} days of the sale; ask the shop`) };
  }
  const byItem = new Map(sale.lines.map((line) => [line.itemId.toLowerCase(), line]));
  const wanted = input.lines ?? sale.lines.filter((line) => line.left > 0).map((line) => ({ itemId: line.itemId, quantity: line.left }));
  if (!wanted.length) return { error: new Conflict('Everything in this sale has been refunded already') };
  const lines: RefundLine[] = [];
  for (const [index, want] of wanted.entries()) {
    const line = byItem.get(want.itemId.toLowerCase());
    if (!line) return { error: new Conflict('This item is not in the sale', [{ path: `lines.${index}.itemId`, message: 'not in the sale' }]) };
    if (want.quantity > line.left) {
      return {
        error: new Conflict(`Only ${line.left} of this line are left to refund`, [{ path: `lines.${index}.quantity`, message: `at most ${line.left}` }]),
      };
    }
    lines.push({ itemId: line.itemId, quantity: want.quantity, amountCents: line.unitPriceCents * want.quantity });
  }
  return { lines };
}

/** What a refund's steps share. */
export interface RefundContext {
  refund: RefundToDo;
  requestId: string;
}

/**
 * The refund saga's steps, run forward only: each is idempotent by the refund id, so running them again (a
 * retried request's sweep) gives the money and the units back once.
 */
export function refundSteps(deps: Pick<SagaDeps, 'inventory' | 'customers' | 'logger'>): Step<RefundContext>[] {
  const { inventory, customers, logger } = deps;
  return [
    {
      name: 'credit wallet',
      span: 'credit',
      async run({ refund, requestId }) {
        const outcome = await customers.credit({ customerId: refund.customerId, amountCents: refund.amountCents, reference: refund.id }, requestId);
        // A deleted account has no wallet left to credit: there is nothing more this step can ever do.
        if (outcome === 'no_customer') logger.warn({ refundId: refund.id, requestId }, "refund not credited: the customer's account no longer exists");
      },
    },
    {
      name: 'return stock',
      span: 'return stock',
      async run({ refund, requestId }) {
        if (!refund.restocked) return;
        await inventory.returnStock({ reference: refund.id, lines: refund.lines.map(({ itemId, quantity }) => ({ itemId, quantity })) }, requestId);
      },
    },
  ];
}

/**
 * Refunds: recorded first (PENDING, under a lock on the sale, with the key), then the steps (credit the wallet,
 * return the stock), then COMPLETED. A step with an unknown outcome leaves the refund pending (503; the key
 * stays in flight): it is never undone, the recovery sweep drives it forward, and the key then replays its 201.
 */
export function refundsDomain(deps: SagaDeps & { refunds: RefundsRepo; windowDays: number }) {
  const { refunds, logger } = deps;
  const observer = deps.observer ?? quietObserver;
  const steps = observedSteps('refund', refundSteps(deps), observer);

  return {
    async refund(
      actor: User,
      saleId: string,
      input: RefundInput,
      options: { requestId: string; idempotency?: { key: string; requestHash: string } },
    ): Promise<RefundOutcome> {
      const { requestId } = options;
      const claim = options.idempotency && { customerId: actor.id, ...options.idempotency, ttlHours: deps.idempotencyTtlHours };
      let refusal: AppError | undefined;
      const decide = (sale: SaleToRefund | undefined): RefundDecision => {
        const decision = decideRefund(actor, sale, input, { windowDays: deps.windowDays, now: new Date() });
        if ('lines' in decision) return decision;
        refusal = decision.error;
        return { refusal: { status: refusal.status, body: problemBody(refusal) } };
      };
      const recorded = await refunds.record({ id: crypto.randomUUID(), saleId, reason: input.reason ?? null, restock: input.restock ?? true, claim }, decide);
      if (recorded.kind === 'refused') throw refusal!;
      if (recorded.kind === 'existing') {
        const { existing } = recorded;
        if (existing.requestHash !== options.idempotency!.requestHash) throw new IdempotencyKeyReused('This Idempotency-Key was used for a different request');
        if (existing.state === 'in_flight') throw new IdempotencyKeyInUse('The refund with this Idempotency-Key is still being completed');
        return { replayed: true, status: existing.responseStatus!, body: JSON.parse(existing.responseBody!) };
      }

      const { refund } = recorded;
      const result = await runForward(steps, { refund, requestId });
      if (result.outcome === 'pending') {
        observer.refund('pending');
        logger.warn(
          { refundId: refund.id, requestId, step: result.step, cause: String(result.cause) },
          'refund recorded but not completed yet; the recovery sweep will finish it',
        );
        throw new ServiceUnavailable('The refund is recorded and will be completed shortly; a service it needs is unavailable right now');
      }
      // Completed here, or by a sweep that got there first: either way it is done, once, and counted once, by the
      // transaction that changed its state (a sweep that got there first counted it).
      if (await refunds.complete(refund)) observer.refund('completed');
      return { replayed: false, refund: publicRefund(refund) };
    },

    list: (saleId: string, page: PageQuery) => refunds.listForSale(saleId, page),
  };
}
export type RefundsDomain = ReturnType<typeof refundsDomain>;
