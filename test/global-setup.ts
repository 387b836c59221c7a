import { startTestSystem } from '@shop/testkit';

export default async function globalSetup() {
  const system = await startTestSystem();
  // Workers inherit this process's environment: they find the system through it.
  process.env.SHOP_TEST_SYSTEM = JSON.stringify(system.context);
  (globalThis as { __shopSystem?: unknown }).__shopSystem = system;
}
