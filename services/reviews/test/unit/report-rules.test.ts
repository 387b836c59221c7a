import { needsAccountAge, reporterStanding } from '../../src/domain/report-rules';

const rules = { minSpendCents: 500, minAccountAgeHours: 24 };
const now = new Date('2026-12-06T12:00:00.000Z');
const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);

describe('whether a report counts (REPORT_MIN_SPEND_CENTS, REPORT_MIN_ACCOUNT_AGE_HOURS)', () => {
  it('counts a reporter with enough net spend and an account old enough', () => {
    expect(reporterStanding({ netSpendCents: 500, accountCreatedAt: hoursAgo(24) }, rules, now)).toEqual({ spendOk: true, accountOldEnough: true });
  });

  it('does not count a reporter below the spend, whatever their age', () => {
    expect(reporterStanding({ netSpendCents: 499, accountCreatedAt: hoursAgo(1_000) }, rules, now)).toEqual({ spendOk: false, accountOldEnough: true });
  });

  it('does not count an account younger than the minimum, by a millisecond', () => {
    const young = new Date(hoursAgo(24).getTime() + 1);
    expect(reporterStanding({ netSpendCents: 10_000, accountCreatedAt: young }, rules, now)).toEqual({ spendOk: true, accountOldEnough: false });
  });

  it('does not count an account customers no longer knows (deleted)', () => {
    expect(reporterStanding({ netSpendCents: 10_000, accountCreatedAt: null }, rules, now).accountOldEnough).toBe(false);
  });

  it('with a minimum age of 0 needs no account age at all (customers is not asked)', () => {
    const anyAge = { ...rules, minAccountAgeHours: 0 };
    expect(needsAccountAge(anyAge)).toBe(false);
    expect(needsAccountAge(rules)).toBe(true);
    expect(reporterStanding({ netSpendCents: 500, accountCreatedAt: undefined }, anyAge, now)).toEqual({ spendOk: true, accountOldEnough: true });
  });
});
