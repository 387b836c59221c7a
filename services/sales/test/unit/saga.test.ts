// The saga runner's rules, with in-memory steps: the order of runs and undos, what a refusal and an unknown
// outcome undo, what happens when an undo fails, and how a forward saga stops and resumes.
import type { AppError } from '@shop/kit';
import { Refused, runBackward, runForward, undo, type Step } from '../../src/domain/saga';

/** Steps that record what ran, each behaving as told: ok, refuse, fail (unknown outcome), or a failing undo. */
function fakeSteps(behaviour: Record<string, 'ok' | 'refuse' | 'fail' | 'undo fails'>, log: string[]): Step<unknown>[] {
  return Object.entries(behaviour).map(([name, how]) => ({
    name,
    run() {
      log.push(`run ${name}`);
      if (how === 'refuse') return Promise.reject(new Refused({ status: 409, message: `${name} refused` } as AppError, `${name}-reason`));
      if (how === 'fail') return Promise.reject(new Error(`${name} timed out`));
      return Promise.resolve();
    },
    undo() {
      log.push(`undo ${name}`);
      return how === 'undo fails' ? Promise.reject(new Error(`${name} undo timed out`)) : Promise.resolve();
    },
  }));
}

describe('runBackward (a purchase: all or nothing)', () => {
  it('runs every step in order and undoes nothing when all succeed', async () => {
    const log: string[] = [];
    expect(await runBackward(fakeSteps({ a: 'ok', b: 'ok', c: 'ok' }, log), {})).toEqual({ outcome: 'done' });
    expect(log).toEqual(['run a', 'run b', 'run c']);
  });

  it('on a refusal, undoes only the steps before it, in reverse, and runs nothing after it', async () => {
    const log: string[] = [];
    const result = await runBackward(fakeSteps({ a: 'ok', b: 'ok', c: 'refuse', d: 'ok' }, log), {});
    expect(result).toMatchObject({ outcome: 'refused', step: 'c', reason: 'c-reason', answer: expect.objectContaining({ status: 409 }) });
    expect(log).toEqual(['run a', 'run b', 'run c', 'undo b', 'undo a']);
  });

  it('on an unknown outcome, also undoes the step that failed (it may have happened)', async () => {
    const log: string[] = [];
    const result = await runBackward(fakeSteps({ a: 'ok', b: 'fail', c: 'ok' }, log), {});
    expect(result).toMatchObject({ outcome: 'undone', step: 'b' });
    expect(log).toEqual(['run a', 'run b', 'undo b', 'undo a']);
  });

  it('a refusal of the first step has nothing to undo', async () => {
    const log: string[] = [];
    expect(await runBackward(fakeSteps({ a: 'refuse', b: 'ok' }, log), {})).toMatchObject({ outcome: 'refused', step: 'a' });
    expect(log).toEqual(['run a']);
  });

  it('is stuck (left for the sweep) when an undo cannot be done, and stops undoing there', async () => {
    const log: string[] = [];
    const result = await runBackward(fakeSteps({ a: 'ok', b: 'undo fails', c: 'fail' }, log), {});
    expect(result).toMatchObject({ outcome: 'stuck', step: 'c' });
    expect(log).toEqual(['run a', 'run b', 'run c', 'undo c', 'undo b']);
  });

  it('hands every step the same context, so a later step sees what an earlier one learnt', async () => {
    const ctx = { price: 0, charged: 0 };
    const steps: Step<typeof ctx>[] = [
      { name: 'price', run: (c) => Promise.resolve(void (c.price = 42)) },
      { name: 'charge', run: (c) => Promise.resolve(void (c.charged = c.price)) },
    ];
    await runBackward(steps, ctx);
    expect(ctx).toEqual({ price: 42, charged: 42 });
  });
});

describe('undo (the recovery sweep)', () => {
  it('undoes every step in reverse, whether or not it ran, skipping steps without an undo', async () => {
    const log: string[] = [];
    const steps = [...fakeSteps({ a: 'ok', b: 'ok' }, log), { name: 'c', run: async () => {} }];
    await undo(steps, {});
    expect(log).toEqual(['undo b', 'undo a']);
  });
});

describe('runForward (a refund: only forward)', () => {
  it('runs every step in order', async () => {
    const log: string[] = [];
    expect(await runForward(fakeSteps({ a: 'ok', b: 'ok' }, log), {})).toEqual({ outcome: 'done' });
    expect(log).toEqual(['run a', 'run b']);
  });

  it('stops at the first step that does not finish, undoes nothing, and completes when run again', async () => {
    const log: string[] = [];
    const behaviour: Record<string, 'ok' | 'fail'> = { credit: 'ok', restock: 'fail', other: 'ok' };
    const result = await runForward(fakeSteps(behaviour, log), {});
    expect(result).toMatchObject({ outcome: 'pending', step: 'restock' });
    expect(log).toEqual(['run credit', 'run restock']);

    // The sweep runs it again from the first step: each step is idempotent, so repeating the credit is safe.
    log.length = 0;
    behaviour.restock = 'ok';
    expect(await runForward(fakeSteps(behaviour, log), {})).toEqual({ outcome: 'done' });
    expect(log).toEqual(['run credit', 'run restock', 'run other']);
  });

  it('treats a refusal like any other unfinished step: the saga stays pending', async () => {
    const log: string[] = [];
    expect(await runForward(fakeSteps({ a: 'refuse', b: 'ok' }, log), {})).toMatchObject({ outcome: 'pending', step: 'a' });
    expect(log).toEqual(['run a']);
  });
});
