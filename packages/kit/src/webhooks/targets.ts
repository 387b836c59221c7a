import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The one rule for webhook addresses (SSRF): only **global unicast** addresses are reachable. Everything in the
 * IANA IPv4 and IPv6 special-purpose registries is refused — this host (127/8, ::1), private and unique-local
 * networks, link-local (where cloud metadata lives: 169.254.169.254, fd00:ec2::254), shared address space
 * (100.64/10: Alibaba's metadata is 100.100.100.200), benchmarking, documentation, multicast, broadcast,
 * reserved, and every form that embeds or translates another address (IPv4-mapped ::ffff:0:0/96, IPv4-translated
 * ::ffff:0:0:0/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, Teredo 2001::/32, 6to4 2002::/16 and its relay
 * 192.88.99.0/24), through which the same hosts are reachable.
 *
 * An allow rule, not a deny list: ipaddr.js (a well-kept classifier of those registries) names the range an
 * address is in, and only its catch-all `unicast` passes. IPv6 must also lie in 2000::/3, the only block IANA
 * allocates for global unicast, so whatever a registry adds later outside it (site-local fec0::/10, SRv6
 * 5f00::/16, …) is refused without a change here. packages/kit/test/unit/webhook-targets.test.ts walks both
 * registries.
 */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

export function isPublicAddress(address: string): boolean {
  if (net.isIP(address) === 0) return false;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return false; // a form Node takes and the classifier does not: not provably global, so refused
  }
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  return parsed.match(GLOBAL_UNICAST_V6) && parsed.range() === 'unicast';
}

/** The URL's host as an address when it is a literal one (`[::1]` → `::1`), else undefined. */
const literalAddress = (url: URL) => {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return net.isIP(host) ? host : undefined;
};

export class TargetRefused extends Error {}

/** Every address a host name resolves to (the system resolver, as connections use it). */
type Resolve = (hostname: string) => Promise<string[]>;
const resolveAll: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true }).then((found) => found.map((a) => a.address));

/**
 * The subscription-time check: http(s) only, no credentials in the URL (every admin can read it), and, unless
 * private targets are allowed, every address the host resolves to must be public. Throws TargetRefused.
 */
export async function checkTarget(raw: string, allowPrivate: boolean, resolve: Resolve = resolveAll): Promise<void> {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('must be an http or https URL');
  if (url.username || url.password) throw new TargetRefused('must not carry credentials');
  if (allowPrivate) return;
  const literal = literalAddress(url);
  const addresses = literal
    ? [literal]
    : await resolve(url.hostname).catch(() => {
        throw new TargetRefused(`host ${url.hostname} does not resolve`);
      });
  if (!addresses.length || !addresses.every(isPublicAddress)) {
    throw new TargetRefused('must resolve only to global unicast addresses (no loopback, private, link-local, metadata or other special-purpose address)');
  }
}

/**
 * The delivery-time check. A literal address is checked here, before connecting (Node connects to it without a
 * lookup); a host name is checked by `safeLookup` at connect time, on the very addresses the socket then uses,
 * so a DNS answer that changed since the subscription (DNS rebinding) cannot reach an internal address.
 */
export function refusedLiteral(url: URL, allowPrivate: boolean): boolean {
  const literal = literalAddress(url);
  return !allowPrivate && literal !== undefined && !isPublicAddress(literal);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that resolves as usual (`lookup`: dns.lookup) and refuses non-public answers. */
export function safeLookup(allowPrivate: boolean, lookup: typeof dns.lookup = dns.lookup) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const usable = allowPrivate ? addresses : addresses.filter((a) => isPublicAddress(a.address));
      if (!usable.length) {
        const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves only to addresses webhooks may not reach`);
        refused.code = 'EADDRNOTALLOWED';
        return callback(refused, []);
      }
      if (options.all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}
