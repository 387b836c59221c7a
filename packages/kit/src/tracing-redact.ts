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

type Kind = 'url' | 'statement' | 'redacted' | 'kept';
/** Each attribute name's treatment, decided once per name (a handful of names, seen on every span). */
const kinds = new Map<string, Kind>();
function kindOf(key: string): Kind {
  let kind = kinds.get(key);
  if (kind === undefined) {
    kind = URL_KEYS.has(key) ? 'url' : STATEMENT_KEYS.has(key) ? 'statement' : PERSONAL_KEYS.has(key) || SECRET_KEY.test(key) ? 'redacted' : 'kept';
    kinds.set(key, kind);
  }
  return kind;
}

/** A prepared statement's span carries its name (`db.postgresql.plan`, also in the span's name): its text is in the code. */
const PREPARED_NAME = 'db.postgresql.plan';

function redact(span: Span): void {
  const attributes = span.attributes as Record<string, unknown>;
  for (const key in attributes) {
    const value = attributes[key];
    const kind = kindOf(key);
    if (kind === 'kept' || typeof value !== 'string') continue;
    if (kind === 'statement' && attributes[PREPARED_NAME] !== undefined) delete attributes[key];
    else attributes[key] = kind === 'url' ? stripQueryValues(value) : kind === 'statement' ? stripLiterals(value) : '[redacted]';
  }
}

/**
 * Cleans each span's attributes as it ends, before any exporter sees it (it runs before the exporter's processor;
 * nothing reads a span's attributes while it is open). Exported spans carry no query value, no literal, no
 * address, no user agent and nothing named like a credential.
 */
export function redactingProcessor(): SpanProcessor {
  return {
    onStart: () => {},
    onEnding: redact,
    onEnd: () => {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
