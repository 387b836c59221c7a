import { api } from '@shop/testkit';

describe('GET /openapi.json', () => {
  it('documents every inventory route, each request body with an example', async () => {
    const res = await api('inventory').get('/openapi.json');
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: { $ref?: string } } } } }>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/items',
        '/items/{id}',
        '/items/{id}/stock-adjustments',
        '/items/{id}/stock-movements',
        '/internal/stock/reservations',
        '/internal/stock/releases',
        '/internal/stock/returns',
        '/webhooks',
        '/webhooks/{id}',
        '/webhooks/{id}/deliveries',
        '/webhooks/{id}/deliveries/{deliveryId}/retries',
      ]),
    );
    const schemas = res.body.components.schemas as Record<string, { example?: unknown }>;
    const bodies = Object.values(paths).flatMap((operations) => Object.values(operations).flatMap((op) => (op.requestBody ? [op.requestBody] : [])));
    expect(bodies).toHaveLength(8);
    for (const body of bodies) {
      const name = body.content['application/json'].schema.$ref!.split('/').pop()!;
      expect({ name, example: schemas[name]!.example }).toEqual({ name, example: expect.any(Object) });
    }
  });
});
