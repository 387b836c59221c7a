// What the contract promises of every service: health, readiness, metrics, docs, request ids and
// problem+json for whatever a client sends wrong before it reaches a route.
import { api, expectProblem } from '@shop/testkit';

const services = ['customers', 'inventory', 'sales', 'reviews'] as const;

describe.each(services)('%s common endpoints', (service) => {
  it('answers /health with ok', async () => {
    const res = await api(service).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers /ready with 200 while its database answers', async () => {
    expect((await api(service).get('/ready')).status).toBe(200);
  });

  it('serves Prometheus metrics including request durations', async () => {
    await api(service).get('/health');
    await api(service).get('/openapi.json');
    const res = await api(service).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  it('serves an OpenAPI 3 document and Swagger UI', async () => {
    const doc = await api(service).get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.schemas.Problem).toBeDefined();
    const ui = await api(service).get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('sends the security headers a JSON API needs, and the full set on the Swagger UI page', async () => {
    const res = await api(service).get('/health');
    expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['x-powered-by']).toBeUndefined();
    // HTML-only headers are not sent with JSON…
    expect(res.headers['x-dns-prefetch-control']).toBeUndefined();
    // …but the documentation page, which is HTML, gets them, with a policy that lets Swagger UI run.
    const docs = await api(service).get('/docs/');
    expect(docs.headers['x-dns-prefetch-control']).toBe('off');
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('serves /docs so that it renders over plain HTTP on any host name, titled after the service', async () => {
    const docs = await api(service).get('/docs/').set('Host', 'shop.lan:8080');
    // upgrade-insecure-requests made the browser fetch every asset over https: a blank page off localhost.
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(docs.text).toContain(`<title>${service} API — E-Commerce Shop</title>`);
  });

  it('documents what Swagger UI users need: tag descriptions, the bearer scheme first, an example per error code', async () => {
    const doc = (await api(service).get('/openapi.json')).body;
    const operations = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((methods) => Object.values(methods));
    const described = new Map((doc.tags as Array<{ name: string; description: string }>).map((tag) => [tag.name, tag.description]));
    for (const tag of new Set(operations.flatMap((op) => op.tags))) expect(described.get(tag)).toMatch(/\w/);
    const schemes = Object.keys(doc.components.securitySchemes ?? {});
    if (schemes.length > 1) expect(schemes[0]).toBe('bearer');
    for (const name of schemes.filter((scheme) => scheme !== 'bearer')) expect(doc.components.securitySchemes[name].description).toMatch(/^For services only/);
    for (const op of operations) {
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        const problem = response.content?.['application/problem+json'];
        if (!problem) continue;
        const codes = [...response.description.matchAll(/`(\w+)`/g)].map((m) => m[1]);
        expect(Object.keys(problem.examples)).toEqual(codes);
        for (const code of codes) expect(problem.examples[code].value).toMatchObject({ code, status: Number(status) });
      }
    }
  });

  it('echoes the caller X-Request-Id and makes one up otherwise', async () => {
    const given = await api(service).get('/health').set('X-Request-Id', 'trace-abc.123');
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const made = await api(service).get('/health');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await api(service).get('/health').set('X-Request-Id', 'bad id with spaces');
    expect(unsafe.headers['x-request-id']).not.toBe('bad id with spaces');
  });

  it('answers unknown routes with a not_found problem', async () => {
    expectProblem(await api(service).get('/no/such/route'), 404, 'not_found');
  });

  it('rejects malformed JSON with validation_failed', async () => {
    const res = await api(service).post('/no-matter').set('Content-Type', 'application/json').send('{"broken":');
    expectProblem(res, 400, 'validation_failed');
  });

  it('rejects a body that is not JSON with unsupported_media_type', async () => {
    const res = await api(service).post('/no-matter').set('Content-Type', 'text/plain').send('hello');
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('rejects an oversized body with payload_too_large', async () => {
    const res = await api(service)
      .post('/no-matter')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ blob: 'x'.repeat(200_000) }));
    expectProblem(res, 413, 'payload_too_large');
  });
});
