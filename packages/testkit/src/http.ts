import type { ServiceName } from '@shop/devkit';
import request from 'supertest';
import { system } from './context';

/** supertest against a running service, e.g. `api('customers').post('/customers').send(body)`. */
export const api = (service: ServiceName | string) =>
  request(service.startsWith('http') ? service : system().urls[service as ServiceName]);

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** The credential `caller` holds for `callee`'s /internal/ routes, if that pair exists. */
export function serviceCredential(caller: string, callee: string): string | undefined {
  return (system().serviceCredentials as Record<string, string>)[`${caller.toUpperCase()}_TO_${callee.toUpperCase()}_TOKEN`];
}
/** The header of the service that calls `callee`'s /internal/ routes: sales for customers and inventory, reviews for sales. */
export const serviceAuth = (callee: 'customers' | 'inventory' | 'sales') => bearer(serviceCredential(callee === 'sales' ? 'reviews' : 'sales', callee)!);

/** Asserts an RFC 9457 problem answer with the contract's status and code. */
export function expectProblem(res: request.Response, status: number, code: string) {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}
