import type { TestSystem } from '@shop/testkit';

export default async function globalTeardown() {
  await (globalThis as { __shopSystem?: TestSystem }).__shopSystem?.stop();
}
