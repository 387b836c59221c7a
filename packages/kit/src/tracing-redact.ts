import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace';

// No secret, token, password or personal field in any span attribute. The instrumentations record no headers or
// bodies unless told to (they are not); what remains to clean is what a URL or a statement may carry.

/** URL attributes keep each query parameter's name, never its value (`?q=alice&limit=5` → `?q=&limit=`). */
const URL_KEYS = new Set(['http.url', 'http.target', 'url.full', 'url.query', 'http.client.url']);
/** Statement attributes keep their shape; a literal becomes `?` (Prisma and our SQL pass values as $n anyway). */
const STATEMENT_KEYS = new Set(['db.statement', 'db.query.text']);
/** The caller's address is personal data; the user agent is not needed to follow a purchase. */
const PERSONAL_KEYS = new Set([
  'net.peer.ip',
  'net.sock.peer.addr',
  'http.client_ip',
  'client.address',
  'network.peer.address',
  'http.user_agent',
  'user_agent.original',
]);
/** Whatever an instrumentation might be configured to add later: headers, cookies, credentials. */
const SECRET_KEY = /authorization|cookie|password|secret|token|header/i;

export function stripQueryValues(value: string): string {
  const at = value.indexOf('?');
  const [before, query] = at < 0 && !value.includes('=') ? [value, undefined] : at < 0 ? ['', value] : [value.slice(0, at + 1), value.slice(at + 1)];
  if (query === undefined) return value;
  return before + query.replace(/=[^&#]*/g, '=');
}

export function stripLiterals(statement: string): string {
  return statement
    .replace(/(?:[EeBbXxNn])?'(?:[^']|'')*'/g, '?')
    .replace(/\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g, '?')
    .replace(/(?<![\w$.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w])/g, '?');
}

function clean(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (URL_KEYS.has(key)) return stripQueryValues(value);
  if (STATEMENT_KEYS.has(key)) return stripLiterals(value);
  if (PERSONAL_KEYS.has(key) || SECRET_KEY.test(key)) return '[redacted]';
  return value;
}

function redact(span: Span): void {
  for (const [key, value] of Object.entries(span.attributes)) {
    const cleaned = clean(key, value);
    if (cleaned !== value) span.setAttribute(key, cleaned);
  }
}

/** Cleans each span's attributes as it starts and again as it ends (before it is exported). Runs before the exporter's processor. */
export function redactingProcessor(): SpanProcessor {
  return {
    onStart: redact,
    onEnding: redact,
    onEnd: () => {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
