export * from './context';
export * from './factories';
export * from './fetch-json';
export * from './http';
export { startTestSystem, ADMIN, type TestContext, type TestSystem } from './system';
