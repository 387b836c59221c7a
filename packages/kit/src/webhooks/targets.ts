import dns from 'node:dns';
import net from 'node:net';

/**
 * Addresses a webhook must never reach (SSRF): this host, private networks, link-local (where cloud metadata
 * lives: 169.254.169.254, fd00:ec2::254), carrier-grade NAT (Alibaba's metadata is 100.100.100.200), and the
 * reserved, documentation, multicast and IPv4-in-IPv6 ranges, through which the same hosts are reachable.
 */
const blocked = new net.BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 embeds an IPv4 address
  ['fc00::', 7], // unique local (AWS metadata is fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(address, prefix, 'ipv6');
}

/**
 * True for an address a webhook may be delivered to. An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is held
 * to the IPv4 rules: BlockList compares it with them.
 */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host as an address when it is a literal one (`[::1]` → `::1`), else undefined. */
const literalAddress = (url: URL) => {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return net.isIP(host) ? host : undefined;
};

export class TargetRefused extends Error {}

/**
 * The subscription-time check: http(s) only, no credentials in the URL (every admin can read it), and, unless
 * private targets are allowed, every address the host resolves to must be public. Throws TargetRefused.
 */
export async function checkTarget(raw: string, allowPrivate: boolean): Promise<void> {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('must be an http or https URL');
  if (url.username || url.password) throw new TargetRefused('must not carry credentials');
  if (allowPrivate) return;
  const literal = literalAddress(url);
  const addresses = literal
    ? [literal]
    : await dns.promises.lookup(url.hostname, { all: true, verbatim: true }).then(
        (found) => found.map((a) => a.address),
        () => {
          throw new TargetRefused(`host ${url.hostname} does not resolve`);
        },
      );
  if (!addresses.length || !addresses.every(isPublicAddress)) {
    throw new TargetRefused('must not point at a loopback, private, link-local or metadata address');
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

/** A `lookup` for net.connect that resolves as usual and refuses non-public answers. */
export function safeLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
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
