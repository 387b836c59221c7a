import { DRIFT_KINDS, type AuditReport, type DriftKind } from './domain/books-report';

/** The audit's report as the command prints it: a summary, the drift by kind, then each discrepancy with its ids. */
export function formatReport(report: AuditReport, run: { seconds: number; peakRssMb: number }): string {
  const { counted, pending } = report;
  const drift = Object.entries(report.drift).filter(([, count]) => count > 0) as Array<[DriftKind, number]>;
  const total = drift.reduce((sum, [, count]) => sum + count, 0);
  const lines = [
    `books audit ${report.startedAt} → ${report.finishedAt} (${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB)${report.repair ? ', with --repair' : ''}`,
    `  read: ${counted.sales} sales, ${counted.refunds} refunds, ${counted.ledgerEntries} ledger entries, ${counted.movements} stock movements, ${counted.wallets} wallets, ${counted.items} items`,
    `  in flight (not drift): ${pending.sales} pending sales (oldest ${pending.oldestSaleAgeSeconds} s), ${pending.refunds} pending refunds (oldest ${pending.oldestRefundAgeSeconds} s)`,
    total === 0 ? '  drift: none, the books balance' : `  drift: ${total} (${report.repaired} repaired, ${report.unrepaired} left)`,
    ...drift.map(([kind, count]) => `    ${kind}: ${count} (${DRIFT_KINDS[kind]})`),
  ];
  for (const found of report.discrepancies) {
    const ids = Object.entries(found.ids)
      .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : value}`)
      .join(' ');
    lines.push(`  ${found.kind} ${ids}: ${found.detail}${found.repair ? ` [${found.repair}]` : ''}`);
  }
  if (report.listed < total) lines.push(`  … and ${total - report.listed} more (counted above)`);
  return `${lines.join('\n')}\n`;
}
