import { OpenAPIRegistry, OpenApiGeneratorV3, zodToOpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';

/**
 * What each of a service's event types means and carries: `when` it is recorded, the schema of its `data` (the
 * resource's public shape) and an example that schema accepts. A Record over the service's event types, so a type
 * added to the list without its declaration does not compile; docs/events.md is generated from these
 * (`pnpm docs:reference`).
 */
export type EventCatalogue<T extends string> = Record<T, { when: string; data: z.ZodType; example: Record<string, unknown> }>;

/**
 * The OpenAPI 3.0 schemas of a catalogue's payloads, as the services' documents describe them (named components,
 * descriptions included), keyed by component name; `payloads` names each event type's component.
 */
export function catalogueSchemas(catalogue: EventCatalogue<string>) {
  const registry = new OpenAPIRegistry();
  for (const { data } of Object.values(catalogue)) registry.register(openApiName(data), data);
  const components = new OpenApiGeneratorV3(registry.definitions).generateComponents().components?.schemas ?? {};
  const payloads = Object.fromEntries(Object.entries(catalogue).map(([type, { data }]) => [type, openApiName(data)]));
  return { components: components as Record<string, unknown>, payloads };
}

const openApiName = (schema: z.ZodType): string => {
  // The name `.openapi('Name')` gave the schema (zod-to-openapi keeps it in its registry).
  const name = zodToOpenAPIRegistry.get(schema)?._internal?.refId;
  if (!name) throw new Error('an event payload schema needs a name: .openapi("Name")');
  return name;
};
