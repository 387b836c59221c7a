// Span names for SQL statements that have no prepared name (transaction control, Prisma's statements): never the
// statement's first keyword alone (`pg.query:INSERT`), which says neither what nor where.

const CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i;
const VERB = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|SET|VACUUM|ANALYZE|LOCK)\b/i;
/** The first table a statement names: after FROM, INTO, UPDATE or JOIN, without quotes or the `public.` schema. */
const TABLE = /\b(?:FROM|INTO|UPDATE|JOIN)\s+((?:"?\w+"?\.)?"?\w+"?)/i;

/** `transaction.begin`, `select items`, `insert outbox_events`; `statement` when nothing names it better. */
export function statementName(text: string): string {
  const control = CONTROL.exec(text);
  if (control) return `transaction.${control[1]!.toLowerCase()}`;
  const verb = VERB.exec(text)?.[1]?.toLowerCase() ?? 'statement';
  const table = TABLE.exec(text)?.[1]
    ?.replace(/"/g, '')
    .replace(/^public\./, '');
  return table ? `${verb} ${table}` : verb;
}
