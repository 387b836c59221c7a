export * from './context';
export * from './eventually';
export * from './factories';
export * from './fetch-json';
export * from './http';
export { startTestSystem, ADMIN, type TestContext, type TestSystem } from './system';
export * from './otlp-receiver';
export * from './balancer';
