import net from 'node:net';

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail and a zone included), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  const text = address.split('%')[0]!;
  if (!net.isIPv6(text)) return undefined;
  let body = text;
  const tail: number[] = [];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    body = body.slice(0, v4.index) + '0';
  }
  const [head, rest] = body.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = parse(rest ?? '');
  // The IPv4 tail stood in for its last group: drop that placeholder.
  if (tail.length) (back.length ? back : front).pop();
  const missing = 8 - front.length - back.length - tail.length;
  const groups = rest === undefined ? [...front, ...tail] : [...front, ...Array<number>(missing).fill(0), ...back, ...tail];
  return groups.length === 8 ? groups : undefined;
}

/**
 * The key every per-address limit counts a client under: an IPv4 address as it is, an IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`) as its IPv4 address, and any other IPv6 address by its /64 (`2001:db8:1:2::/64`): a /64
 * is what one subscriber gets, so rotating through it must not give fresh buckets.
 */
export function clientBucket(address: string): string {
  const groups = ipv6Groups(address);
  if (!groups) return address;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
