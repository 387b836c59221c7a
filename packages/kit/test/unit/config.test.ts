// Configuration every service shares: production refuses development settings (one line each, all at once), and
// METRICS_TOKEN is optional but never weak. test/lifecycle.test.ts starts the real processes with them.
import { baseConfigSchema, ConfigError, parseConfig } from '../../src/config';
import { webhookConfigSchema } from '../../src/webhooks/config';

const schema = baseConfigSchema.extend(webhookConfigSchema.shape);
const env = (extra: Record<string, string>) => ({ DATABASE_URL: 'postgresql://shop@127.0.0.1:5432/shop', ...extra });
const problems = (extra: Record<string, string>) => {
  try {
    parseConfig(schema, env(extra));
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n').filter((line) => line.startsWith('  - '));
  }
};

describe('production settings', () => {
  it('refuses trace logging and private webhook targets in production, one line each', () => {
    expect(problems({ NODE_ENV: 'production', LOG_LEVEL: 'trace', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toEqual([
      expect.stringMatching(/^ {2}- LOG_LEVEL: trace is refused/),
      expect.stringMatching(/^ {2}- WEBHOOK_ALLOW_PRIVATE_TARGETS: must not be true in production/),
    ]);
  });

  it('lists them with the settings that do not parse, not after those are fixed', () => {
    expect(problems({ NODE_ENV: 'production', LOG_LEVEL: 'trace', DATABASE_POOL_SIZE: 'many', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toEqual([
      expect.stringMatching(/^ {2}- DATABASE_POOL_SIZE: /),
      expect.stringMatching(/^ {2}- LOG_LEVEL: trace is refused/),
      expect.stringMatching(/^ {2}- WEBHOOK_ALLOW_PRIVATE_TARGETS: must not be true in production/),
    ]);
  });

  it('takes them in development and the tests, and production takes its own settings', () => {
    for (const NODE_ENV of ['development', 'test']) expect(problems({ NODE_ENV, LOG_LEVEL: 'trace', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toEqual([]);
    expect(problems({ NODE_ENV: 'production', LOG_LEVEL: 'debug', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' })).toEqual([]);
  });
});

describe('METRICS_TOKEN', () => {
  it('is optional (empty is unset) and, when set, at least 32 characters', () => {
    expect(parseConfig(schema, env({})).METRICS_TOKEN).toBeUndefined();
    expect(parseConfig(schema, env({ METRICS_TOKEN: '' })).METRICS_TOKEN).toBeUndefined();
    expect(parseConfig(schema, env({ METRICS_TOKEN: 'm'.repeat(32) })).METRICS_TOKEN).toBe('m'.repeat(32));
    expect(problems({ METRICS_TOKEN: 'short' })).toEqual([expect.stringMatching(/^ {2}- METRICS_TOKEN: must be at least 32 characters/)]);
  });
});
