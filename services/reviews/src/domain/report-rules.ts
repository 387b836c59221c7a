import type { ReporterStanding } from './model';

export interface ReportRules {
  /** REPORT_MIN_SPEND_CENTS: completed purchases net of refunds a reporter needs for their reports to count. */
  minSpendCents: number;
  /** REPORT_MIN_ACCOUNT_AGE_HOURS: how old a reporter's account must be when reporting (0: any). */
  minAccountAgeHours: number;
}

const HOUR_MS = 3_600_000;

/** Whether the account age matters at all (0 hours: customers need not be asked). */
export const needsAccountAge = (rules: ReportRules) => rules.minAccountAgeHours > 0;

/**
 * Whether a report counts toward the threshold: its reporter's net spend reaches the minimum (re-judged at each of
 * their refunds) and their account was old enough when they reported (judged once: an account opened to report
 * never grows into counting). A deleted account (createdAt null) never counts.
 */
export function reporterStanding(facts: { netSpendCents: number; accountCreatedAt: Date | null | undefined }, rules: ReportRules, now: Date): ReporterStanding {
  const spendOk = facts.netSpendCents >= rules.minSpendCents;
  if (!needsAccountAge(rules)) return { spendOk, accountOldEnough: true };
  const created = facts.accountCreatedAt;
  return { spendOk, accountOldEnough: !!created && now.getTime() - created.getTime() >= rules.minAccountAgeHours * HOUR_MS };
}
