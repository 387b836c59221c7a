// Retention's settings (issue 23): bounded, with defaults (inventory's reservation horizon: services/inventory/test/unit). The pruning itself is tested through HTTP in test/retention.test.ts.
import { ConfigError, parseConfig } from '../../src/config';
import { retentionConfigSchema } from '../../src/retention/config';

const problems = (run: () => unknown) => {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n').filter((line) => line.startsWith('  - '));
  }
};

describe('retention settings', () => {
  it('defaults to 7 days of events, a pass every 10 s and batches of 2,000', () => {
    expect(parseConfig(retentionConfigSchema, {})).toEqual({ EVENT_RETENTION_DAYS: 7, RETENTION_INTERVAL_MS: 10_000, RETENTION_BATCH_SIZE: 2_000 });
  });

  it.each([
    ['EVENT_RETENTION_DAYS', '0'],
    ['EVENT_RETENTION_DAYS', '3651'],
    ['EVENT_RETENTION_DAYS', '1.5'],
    ['EVENT_RETENTION_DAYS', 'a week'],
    ['RETENTION_INTERVAL_MS', '99'],
    ['RETENTION_INTERVAL_MS', '86400001'],
    ['RETENTION_BATCH_SIZE', '9'],
    ['RETENTION_BATCH_SIZE', '50001'],
  ])('refuses %s=%s, naming it', (key, value) => {
    expect(problems(() => parseConfig(retentionConfigSchema, { [key]: value }))).toEqual([expect.stringMatching(new RegExp(`^ {2}- ${key}: `))]);
  });
});
