import type { AppError } from '@shop/kit/errors';
import type { Logger } from '@shop/kit/logging';
import { inSpan } from '@shop/kit/spans';
import type { CustomersClient } from '../clients/customers.client';
import type { InventoryClient } from '../clients/inventory.client';

/** What the purchase and the refund sagas both work with: the two services they call, and where they report. */
export interface SagaDeps {
  inventory: InventoryClient;
  customers: CustomersClient;
  logger: Logger;
  /** How long an Idempotency-Key's answer is kept. */
  idempotencyTtlHours: number;
  /** Where the sagas report their steps and ends (metrics); quiet when absent. */
  observer?: SagaObserver;
}

/**
 * A saga step: `run` does it, `undo` (purchases only) takes it back. Both must be idempotent by the saga's
 * reference, so running or undoing a step again, or undoing one that never happened, is always safe.
 *
 * `run` either returns (done), throws `Refused` (a definite answer: the step did not happen, e.g. 402), or
 * throws anything else: an unknown outcome (the step may or may not have happened).
 */
export interface Step<C> {
  name: string;
  /** Its span's name in a trace (`reserve`; its undo's `undo reserve`); the name by default. */
  span?: string;
  run(ctx: C): Promise<void>;
  undo?(ctx: C): Promise<void>;
}

/** A step's definite refusal, carrying the answer the client gets and the reason kept. The step had no effect. */
export class Refused extends Error {
  constructor(
    readonly answer: AppError,
    readonly reason: string = answer.code,
  ) {
    super(answer.message);
  }
}

/** A step's run as a span whose `outcome` is `done`, `refused` (a definite no) or `unknown` (it may have happened). */
const run = <C>(step: Step<C>, ctx: C) =>
  inSpan(step.span ?? step.name, { outcomeOf: (error) => (error instanceof Refused ? 'refused' : 'unknown') }, () => step.run(ctx));

/** An undo as a span `undo <step>`, `done` or `unknown`. */
const undoStep = <C>(step: Step<C>, ctx: C) => step.undo && inSpan(`undo ${step.span ?? step.name}`, { outcomeOf: () => 'unknown' }, () => step.undo!(ctx));

export type BackwardOutcome =
  | { outcome: 'done' }
  /** A step refused; the steps before it were undone. */
  | { outcome: 'refused'; step: string; answer: AppError; reason: string }
  /** A step's outcome is unknown; it and the steps before it were undone. */
  | { outcome: 'undone'; step: string; cause: unknown }
  /** A step failed and an undo's outcome is unknown too: the saga stays pending for the recovery sweep. */
  | { outcome: 'stuck'; step: string; cause: unknown };

/**
 * Runs a saga that must be all or nothing (a purchase): the steps in order; when one refuses, the steps before
 * it are undone (in reverse); when one's outcome is unknown, it is undone too, since it may have happened.
 */
export async function runBackward<C>(steps: Step<C>[], ctx: C): Promise<BackwardOutcome> {
  for (const [index, step] of steps.entries()) {
    try {
      await run(step, ctx);
    } catch (error) {
      const refused = error instanceof Refused;
      const attempted = steps.slice(0, refused ? index : index + 1);
      try {
        await undo(attempted, ctx);
      } catch (undoError) {
        return { outcome: 'stuck', step: step.name, cause: undoError };
      }
      return refused
        ? { outcome: 'refused', step: step.name, answer: error.answer, reason: error.reason }
        : { outcome: 'undone', step: step.name, cause: error };
    }
  }
  return { outcome: 'done' };
}

/** Undoes the steps in reverse order; stops at (and throws) the first undo whose outcome is unknown. */
export async function undo<C>(steps: Step<C>[], ctx: C): Promise<void> {
  for (const step of [...steps].reverse()) await undoStep(step, ctx);
}

export type ForwardOutcome = { outcome: 'done' } | { outcome: 'pending'; step: string; cause: unknown };

/**
 * Runs a saga that only goes forward (a refund, promised to the customer): the steps in order, stopping at the
 * first that does not finish. Nothing is undone; running it again later (the recovery sweep) repeats the
 * steps from the first, which is safe because each is idempotent, until all are done.
 */
export async function runForward<C>(steps: Step<C>[], ctx: C): Promise<ForwardOutcome> {
  for (const step of steps) {
    try {
      await run(step, ctx);
    } catch (error) {
      return { outcome: 'pending', step: step.name, cause: error };
    }
  }
  return { outcome: 'done' };
}

/** How a step (or an undo) ended: done, refused (a definite answer, no effect), or failed (outcome unknown). */
export type StepOutcome = 'done' | 'refused' | 'failed';

/** Where the sagas report what operators count (sales/src/metrics.ts turns these into Prometheus metrics). */
export interface SagaObserver {
  /** A step or an undo (named `undo <step>`) ended, after `seconds`. */
  step(saga: 'purchase' | 'refund', step: string, outcome: StepOutcome, seconds: number): void;
  /** A sale ended: completed, or failed with its reason (a contract error code, `unavailable` or `abandoned`). */
  sale(outcome: 'completed' | 'failed', reason?: string): void;
  /** A refund completed (or was left pending for the sweep to finish). */
  refund(outcome: 'completed' | 'pending'): void;
}

export const quietObserver: SagaObserver = { step: () => {}, sale: () => {}, refund: () => {} };

/** The steps, each run and undo timed and reported to the observer with its outcome. */
export function observedSteps<C>(saga: 'purchase' | 'refund', steps: Step<C>[], observer: SagaObserver): Step<C>[] {
  const timed = async (name: string, work: () => Promise<void>) => {
    const started = performance.now();
    let outcome: StepOutcome = 'failed';
    try {
      await work();
      outcome = 'done';
    } catch (error) {
      if (error instanceof Refused) outcome = 'refused';
      throw error;
    } finally {
      observer.step(saga, name, outcome, (performance.now() - started) / 1000);
    }
  };
  return steps.map((step) => ({
    ...step,
    run: (ctx: C) => timed(step.name, () => step.run(ctx)),
    ...(step.undo && { undo: (ctx: C) => timed(`undo ${step.name}`, () => step.undo!(ctx)) }),
  }));
}
