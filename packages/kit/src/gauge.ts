import client from 'prom-client';

/** A gauge of a service's own (e.g. sales' books_drift by kind), for ServiceAppOptions.metrics to register beside the kit's. */
export const serviceGauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
  new client.Gauge<L>({ name, help, labelNames, registers: [] });
