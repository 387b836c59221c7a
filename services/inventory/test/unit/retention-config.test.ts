// Inventory's reservation horizon (issue 23): never inside sales' idempotency horizon, which is 24 h at least.
import { ConfigError } from '@shop/kit';
import { loadConfig } from '../../src/config';

const env = {
  DATABASE_URL: 'postgresql://shop@127.0.0.1:5432/shop',
  SALES_TO_INVENTORY_TOKEN: 's'.repeat(32),
  INVENTORY_TO_CUSTOMERS_TOKEN: 'i'.repeat(32),
};

describe('RESERVATION_RETENTION_HOURS', () => {
  it('defaults to 48 hours, beside the shared retention settings', () => {
    expect(loadConfig(env)).toMatchObject({ RESERVATION_RETENTION_HOURS: 48, EVENT_RETENTION_DAYS: 7, RETENTION_INTERVAL_MS: 10_000 });
  });

  it.each(['24', '0', '87601', 'two days'])('refuses %s, naming the setting', (value) => {
    expect(() => loadConfig({ ...env, RESERVATION_RETENTION_HOURS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, RESERVATION_RETENTION_HOURS: value })).toThrow(/RESERVATION_RETENTION_HOURS: /);
  });
});
