import { statementName } from '../../src/tracing-names';

describe('statementName', () => {
  it('names transaction control and statements by what they do and the table they name first', () => {
    expect(statementName('BEGIN')).toBe('transaction.begin');
    expect(statementName('  commit')).toBe('transaction.commit');
    expect(statementName('ROLLBACK')).toBe('transaction.rollback');
    expect(statementName('SELECT "public"."items"."id" FROM "public"."items" WHERE "id" = $1')).toBe('select items');
    expect(statementName('INSERT INTO outbox_events (id) VALUES ($1)')).toBe('insert outbox_events');
    expect(statementName('WITH d AS (UPDATE webhook_deliveries SET status = $1) SELECT 1')).toBe('with webhook_deliveries');
    expect(statementName('SELECT 1')).toBe('select');
    expect(statementName('')).toBe('statement');
  });
});
