// What a service shows to whoever asks (issue 22 items 13 and 15): paths match only as written, so `/Internal/…`
// cannot step around an ingress rule that blocks `/internal/`; /metrics needs METRICS_TOKEN when it is set; the
// public OpenAPI document leaves the internal routes and the names of their credentials out, and the internal one
// is for the services that call them.
import { admin, api, bearer, expectProblem, serviceAuth, serviceCredential, startInstance, system } from '@shop/testkit';
import { runningServices, SERVICE_NAMES, type Service } from './support/contract';
import { fetchDocument, internalReader } from './support/openapi';

describe('paths are case-sensitive and strict', () => {
  it("GET /Internal/Purchases with reviews' credential is 404, where /internal/purchases answers", async () => {
    const query = { customerId: '00000000-0000-4000-8000-000000000000', itemId: '00000000-0000-4000-8000-000000000000' };
    const auth = bearer(serviceCredential('reviews', 'sales')!);
    expect((await api('sales').get('/internal/purchases').query(query).set(auth)).status).toBe(200);
    for (const path of ['/Internal/Purchases', '/INTERNAL/purchases', '/internal/Purchases', '/internal/purchases/']) {
      expectProblem(await api('sales').get(path).query(query).set(auth), 404, 'not_found');
    }
  });

  it('GET /items/ and /Items are 404, where /items answers', async () => {
    expect((await api('inventory').get('/items')).status).toBe(200);
    for (const path of ['/items/', '/Items', '/ITEMS']) expectProblem(await api('inventory').get(path), 404, 'not_found');
  });

  it.each(runningServices())('%s: every GET without path parameters answers only as written (case and trailing slash)', async (service) => {
    const adm = await admin();
    const doc = await fetchDocument(system().urls[service]);
    const reads = Object.entries(doc.paths).filter(([path, ops]) => 'get' in ops && !path.includes('{'));
    expect(reads.length).toBeGreaterThan(0);
    const wrong: string[] = [];
    for (const [path] of reads) {
      for (const variant of [`${path}/`, path.toUpperCase(), path.replace(/\/(\w)/, (_m, c: string) => `/${c.toUpperCase()}`)]) {
        const res = await api(service).get(variant).set(adm.auth);
        if (res.status !== 404 || res.body?.code !== 'not_found') wrong.push(`GET ${variant}: ${res.status}`);
      }
    }
    for (const variant of ['/Health', '/health/', '/METRICS', '/OpenAPI.json', '/Internal/openapi.json']) {
      const res = await api(service).get(variant);
      if (res.status !== 404) wrong.push(`GET ${variant}: ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('GET /metrics with METRICS_TOKEN set', () => {
  const token = 'metrics-token-for-the-test-0123456789abcdef';

  it.each(SERVICE_NAMES)('%s: 401 with WWW-Authenticate without the token or with a wrong one, 200 with it', async (service) => {
    const instance = await startInstance(service, { METRICS_TOKEN: token });
    const anonymous = await api(instance.url).get('/metrics');
    expectProblem(anonymous, 401, 'unauthorized');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(anonymous.text).not.toContain('process_resident_memory_bytes');
    const wrong = await api(instance.url)
      .get('/metrics')
      .set(bearer(`${token}x`));
    expectProblem(wrong, 401, 'unauthorized');
    expect(wrong.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    // An admin's access token is not the metrics token either.
    expectProblem(
      await api(instance.url)
        .get('/metrics')
        .set((await admin()).auth),
      401,
      'unauthorized',
    );
    const scraped = await api(instance.url).get('/metrics').set(bearer(token));
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('http_request_duration_seconds_bucket');
  });
});

describe('OpenAPI documents: public and internal', () => {
  it.each(runningServices())('%s: /openapi.json and /docs describe no internal route and name no credential', async (service) => {
    const res = await api(service).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths as object).filter((path) => path.startsWith('/internal'))).toEqual([]);
    expect(res.text).not.toMatch(/_TO_|-service"|x-callers/);
    const ui = await api(service).get('/docs/swagger-ui-init.js');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('"/webhooks"');
    expect(ui.text).not.toContain('/internal/');
  });

  const callersOf: Record<Service, Array<'sales' | 'reviews' | 'inventory'>> = {
    customers: ['sales', 'inventory', 'reviews'],
    inventory: ['sales'],
    sales: ['reviews'],
    reviews: [],
  };

  it.each(runningServices())('%s: /internal/openapi.json is for the services that call it: theirs 200, people 403, nobody 401', async (service) => {
    for (const caller of callersOf[service]) {
      const res = await api(service)
        .get('/internal/openapi.json')
        .set(bearer(serviceCredential(caller, service)!));
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const paths = Object.keys(res.body.paths as object);
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.filter((path) => !path.startsWith('/internal/'))).toEqual([]);
    }
    // A credential this service does not take (reviews is called by nobody) is no credential here.
    if (service === 'reviews') expectProblem(await api(service).get('/internal/openapi.json').set(serviceAuth('sales')), 401, 'unauthorized');
    expectProblem(await api(service).get('/internal/openapi.json'), 401, 'unauthorized');
    expectProblem(await api(service).get('/internal/openapi.json').set(bearer('garbage')), 401, 'unauthorized');
    expectProblem(
      await api(service)
        .get('/internal/openapi.json')
        .set((await admin()).auth),
      403,
      'forbidden',
    );
    expect(internalReader(service) === undefined).toBe(callersOf[service].length === 0);
  });
});
