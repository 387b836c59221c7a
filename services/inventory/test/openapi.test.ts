import { api, serviceAuth } from '@shop/testkit';

describe('GET /openapi.json and /internal/openapi.json', () => {
  it('documents every inventory route, the internal ones apart, each request body with an example', async () => {
    const res = await api('inventory').get('/openapi.json');
    const internal = await api('inventory').get('/internal/openapi.json').set(serviceAuth('inventory'));
    expect([res.status, internal.status]).toEqual([200, 200]);
    type Paths = Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: { $ref?: string } } } } }>>;
    const publicPaths = Object.keys(res.body.paths as Paths);
    expect(publicPaths).toEqual(
      expect.arrayContaining([
        '/items',
        '/items/{id}',
        '/items/{id}/stock-adjustments',
        '/items/{id}/stock-movements',
        '/webhooks',
        '/webhooks/{id}',
        '/webhooks/{id}/deliveries',
        '/webhooks/{id}/deliveries/{deliveryId}/retries',
      ]),
    );
    expect(publicPaths.filter((path) => path.startsWith('/internal/'))).toEqual([]);
    expect(Object.keys(internal.body.paths as Paths)).toEqual(
      expect.arrayContaining(['/internal/stock/reservations', '/internal/stock/releases', '/internal/stock/returns']),
    );
    const paths = { ...(res.body.paths as Paths), ...(internal.body.paths as Paths) };
    const schemas = { ...res.body.components.schemas, ...internal.body.components.schemas } as Record<string, { example?: unknown }>;
    const bodies = Object.values(paths).flatMap((operations) => Object.values(operations).flatMap((op) => (op.requestBody ? [op.requestBody] : [])));
    expect(bodies).toHaveLength(9);
    for (const body of bodies) {
      const name = body.content['application/json'].schema.$ref!.split('/').pop()!;
      expect({ name, example: schemas[name]!.example }).toEqual({ name, example: expect.any(Object) });
    }
  });
});
