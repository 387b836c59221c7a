import type { TestSystem } from '@shop/testkit/src/system';

export default async function globalTeardown() {
  await (globalThis as { __shopSystem?: TestSystem }).__shopSystem?.stop();
}
