// The webhook address rule (SSRF), as a pure function: only global unicast addresses pass. Each range of the
// IANA IPv4 and IPv6 special-purpose address registries (and multicast, site-local, the IPv4-compatible and
// IPv4-translated forms) is checked at its first, last and a middle address, so a range narrowed to one of
// its spellings (127.0.0.0/8 → 127.0.0.1/32) is caught. The ranges are written here from the registries, not
// read from the library the code uses.
import type { LookupAddress } from 'node:dns';
import { checkTarget, isPublicAddress, safeLookup, TargetRefused } from '../../src/webhooks/targets';

const IPV4_SPECIAL = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private
  '100.64.0.0/10', // shared address space (carrier-grade NAT)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local (cloud metadata)
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation TEST-NET-1
  '192.31.196.0/24', // AS112-v4
  '192.52.193.0/24', // AMT
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private
  '192.175.48.0/24', // direct delegation AS112
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation TEST-NET-2
  '203.0.113.0/24', // documentation TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved
  '255.255.255.255/32', // limited broadcast
];

const IPV6_SPECIAL = [
  '::/128', // unspecified
  '::1/128', // loopback
  '::/96', // IPv4-compatible (deprecated)
  '::ffff:0:0/96', // IPv4-mapped
  '::ffff:0:0:0/96', // IPv4-translated (SIIT)
  '64:ff9b::/96', // NAT64 well-known prefix
  '64:ff9b:1::/48', // local-use IPv4/IPv6 translation
  '100::/64', // discard-only
  '100:0:0:1::/64', // dummy prefix
  '2001::/23', // IETF protocol assignments
  '2001::/32', // Teredo
  '2001:2::/48', // benchmarking
  '2001:3::/32', // AMT
  '2001:4:112::/48', // AS112-v6
  '2001:10::/28', // ORCHID (deprecated)
  '2001:20::/28', // ORCHIDv2
  '2001:30::/28', // drone remote ID
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4
  '2620:4f:8000::/48', // direct delegation AS112
  '3fff::/20', // documentation
  '5f00::/16', // segment routing (SRv6) SIDs
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
];

/** An address as a number, and back (written here with BigInt, independent of the code under test). */
function toBigInt(address: string): bigint {
  if (address.includes('.') && !address.includes(':')) return address.split('.').reduce((n, part) => (n << 8n) | BigInt(part), 0n);
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = tail === undefined ? 0 : 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail ?? '')];
  return all.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}
function fromBigInt(value: bigint, v4: boolean): string {
  if (v4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  return [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16)).join(':');
}
/** First, a middle and last address of a range. */
function samples(cidr: string): string[] {
  const [base = '', bits = ''] = cidr.split('/');
  const v4 = !base.includes(':');
  const width = v4 ? 32n : 128n;
  const size = 1n << (width - BigInt(bits));
  const first = toBigInt(base);
  return [...new Set([first, first + size / 2n + (size > 2n ? 1n : 0n) - (size > 1n ? 1n : 0n), first + size - 1n])].map((n) => fromBigInt(n, v4));
}

describe('isPublicAddress: only global unicast addresses', () => {
  it.each([...IPV4_SPECIAL, ...IPV6_SPECIAL])('refuses all of %s (first, middle and last address)', (range) => {
    for (const address of samples(range)) expect({ range, address, public: isPublicAddress(address) }).toEqual({ range, address, public: false });
  });

  it('refuses the addresses of issue 22 and the rest of each blocked range, beyond the spellings of 127.0.0.1', () => {
    for (const address of [
      '::ffff:0:127.0.0.1',
      '::ffff:0:a9fe:a9fe',
      '2001::7f00:1',
      'fec0::1',
      '192.88.99.1',
      '5f00::1',
      '127.1.2.3',
      '127.255.255.254',
      '10.255.0.1',
      '172.31.255.254',
      '192.168.255.1',
      '169.254.1.2',
      '100.127.0.1',
      '100.100.100.200',
      '0.1.2.3',
      '224.1.1.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::abcd',
      'fe80::1%eth0',
      'fc00::1',
      'fd12::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:127.1.2.3',
      '::ffff:7f00:1',
      '::ffff:8.8.8.8', // even a public IPv4 address, when it comes IPv4-mapped
      '64:ff9b::7f00:1',
      '64:ff9b:1::a00:1',
      '2002:7f00:1::',
      '::127.0.0.1',
      'not-an-ip',
      '',
    ]) {
      expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: false });
    }
  });

  it('lets global unicast addresses through, right up to the edges of the special ranges', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '93.184.215.14',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.0.3.0',
      '192.88.98.255',
      '192.88.100.0',
      '192.167.255.255',
      '192.169.0.0',
      '198.17.255.255',
      '198.20.0.0',
      '223.255.255.255',
      '2606:4700:4700::1111',
      '2001:4860:4860::8888',
      '2a00:1450:4001::200e',
      '2001:200::1', // just past 2001::/23
      '2003::1',
      '3ffe:ffff::1',
    ]) {
      expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: true });
    }
  });
});

describe('checkTarget (subscription time)', () => {
  const publicOnly = () => Promise.resolve(['93.184.215.14']);
  it('refuses a literal or a resolved address outside global unicast, and accepts a public one', async () => {
    await expect(checkTarget('http://[::ffff:0:127.0.0.1]/hook', false, publicOnly)).rejects.toBeInstanceOf(TargetRefused);
    await expect(checkTarget('http://127.1.2.3/hook', false, publicOnly)).rejects.toBeInstanceOf(TargetRefused);
    await expect(checkTarget('https://hooks.example/x', false, () => Promise.resolve(['93.184.215.14', 'fec0::1']))).rejects.toBeInstanceOf(TargetRefused);
    await expect(checkTarget('https://hooks.example/x', false, () => Promise.resolve([]))).rejects.toBeInstanceOf(TargetRefused);
    await expect(checkTarget('https://hooks.example/x', false, publicOnly)).resolves.toBeUndefined();
    await expect(checkTarget('http://127.1.2.3/hook', true, publicOnly)).resolves.toBeUndefined();
  });
});

describe('safeLookup (connect time)', () => {
  /** A resolver whose answer changes between calls, as a rebinding DNS server's does. */
  const rebinding = (answers: string[][]) => {
    let call = 0;
    return ((_host: string, _options: unknown, callback: (error: Error | null, addresses: LookupAddress[]) => void) => {
      const answer = answers[Math.min(call++, answers.length - 1)]!;
      callback(
        null,
        answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    }) as never;
  };
  const connectLookup = (lookup: ReturnType<typeof safeLookup>) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      lookup('hooks.example', {}, (error, address) => resolve({ error, address })),
    );

  it('refuses at connect time what the host resolves to now, though it resolved to a public address at subscription', async () => {
    const resolver = rebinding([['93.184.215.14'], ['::ffff:0:127.0.0.1'], ['127.1.2.3', '2001::7f00:1']]);
    const lookup = safeLookup(false, resolver);
    expect(await connectLookup(lookup)).toEqual({ error: null, address: '93.184.215.14' });
    for (let i = 0; i < 2; i++) {
      const { error } = await connectLookup(lookup);
      expect(error?.code).toBe('EADDRNOTALLOWED');
    }
  });

  it('keeps only the global unicast answers of a mixed one', async () => {
    const lookup = safeLookup(false, rebinding([['fec0::1', '5f00::1', '2606:4700:4700::1111']]));
    expect(await connectLookup(lookup)).toEqual({ error: null, address: '2606:4700:4700::1111' });
  });
});
