import type { ServiceName } from '@shop/devkit';
import request from 'supertest';
import { system } from './context';

/** supertest against a running service by name (`api('customers').post('/customers')`) or by URL. */
export const api = (service: string) => request(service.startsWith('http') ? service : system().urls[service as ServiceName]);

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

/**
 * A cacheable read (api.route's `cache: 'revalidate'`): 200 with a strong ETag, then 304 with no body and the same
 * tag when that tag is sent back; returns the tag. A tag may cover rows that other test files write meanwhile: a
 * 200 to the old tag must then carry a new tag (that is the contract), and the round is tried again.
 */
export async function expectRevalidates(service: ServiceName, path: string): Promise<string> {
  let tag: string | undefined;
  for (let round = 0; round < 20; round++) {
    const res = await api(service)
      .get(path)
      .set(tag ? { 'If-None-Match': tag } : {});
    expect(res.headers['cache-control']).toBe('public, no-cache');
    if (res.status === 304) {
      expect(res.text ?? '').toBe('');
      expect(res.headers.etag).toBe(tag);
      return tag!;
    }
    expect(res.status).toBe(200);
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(res.headers.etag).not.toBe(tag);
    tag = res.headers.etag;
  }
  throw new Error(`${service} ${path} never answered 304`);
}

/** After a change, the old tag no longer matches: a full 200 with a new tag. */
export async function expectChanged(service: ServiceName, path: string, oldTag: string) {
  const res = await api(service).get(path).set('If-None-Match', oldTag);
  expect(res.status).toBe(200);
  expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
  expect(res.headers.etag).not.toBe(oldTag);
  return res;
}
