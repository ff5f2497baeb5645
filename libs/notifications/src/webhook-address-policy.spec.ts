import { AddressPolicy, checkAddress } from './webhook-address-policy';

const production: AddressPolicy = { allowLoopback: false, allowPrivate: false };
const development: AddressPolicy = { allowLoopback: true, allowPrivate: false };
const onPremise: AddressPolicy = { allowLoopback: false, allowPrivate: true };

describe('checkAddress', () => {
  it.each([
    ['93.184.215.14', { address: '93.184.215.14', family: 4 }],
    ['8.8.8.8', { address: '8.8.8.8', family: 4 }],
    ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }],
    ['[2a00:1450:4001:82b::200e]', { address: '2a00:1450:4001:82b::200e', family: 6 }],
    // IPv4-mapped and NAT64 forms of a public address: mapped is connected to as IPv4, NAT64 through its gateway
    ['::ffff:8.8.8.8', { address: '8.8.8.8', family: 4 }],
    ['64:ff9b::808:808', { address: '64:ff9b::808:808', family: 6 }],
  ])('allows the public address %s', (address, connect) => {
    expect(checkAddress(address, production)).toEqual({ allowed: true, connect });
  });

  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['::1', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['::', /special-purpose|unspecified/],
    ['10.0.0.1', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.0.1', /private/],
    ['100.64.0.1', /private/],
    ['100.127.255.254', /private/],
    ['169.254.0.1', /link-local/],
    ['169.254.169.254', /metadata/],
    ['169.254.170.2', /metadata/],
    ['168.63.129.16', /metadata/],
    ['100.100.100.200', /metadata/],
    ['192.0.0.192', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['fe80::1', /link-local|special-purpose/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['ff02::1', /multicast|special-purpose/],
    ['255.255.255.255', /broadcast/],
    ['240.0.0.1', /reserved/],
    ['192.0.2.1', /reserved/],
    ['198.51.100.1', /reserved/],
    ['203.0.113.1', /reserved/],
    ['198.18.0.1', /reserved/],
    ['192.0.0.8', /reserved/],
    ['::ffff:127.0.0.1', /loopback.*IPv4-mapped/],
    ['::ffff:10.1.2.3', /private.*IPv4-mapped/],
    ['::ffff:169.254.169.254', /metadata.*IPv4-mapped/],
    ['::7f00:1', /IPv4-compatible/],
    ['::a00:1', /IPv4-compatible/],
    ['::ffff:0:a00:1', /special-purpose/],
    ['64:ff9b::a00:1', /private.*NAT64/],
    ['64:ff9b::7f00:1', /loopback.*NAT64/],
    ['64:ff9b::a9fe:a9fe', /metadata.*NAT64/],
    ['64:ff9b:1::a00:1', /special-purpose/],
    ['2002:7f00:1::', /special-purpose/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /special-purpose/],
    ['2001:db8::1', /special-purpose/],
    ['fec0::1', /special-purpose/],
    ['100::1', /special-purpose|unassigned/],
    ['4000::1', /unassigned/],
    ['fe80::1%eth0', /zone|not an IP/],
    ['localhost', /not an IP/],
    ['127.1', /loopback|not an IP/],
  ])('refuses %s', (address, reason) => {
    const verdict = checkAddress(address, production);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toMatch(reason);
  });

  it('opens loopback, and loopback only, for development', () => {
    expect(checkAddress('127.0.0.1', development)).toEqual({
      allowed: true,
      connect: { address: '127.0.0.1', family: 4 },
    });
    expect(checkAddress('::1', development)).toEqual({ allowed: true, connect: { address: '::1', family: 6 } });
    expect(checkAddress('::ffff:127.0.0.1', development)).toEqual({
      allowed: true,
      connect: { address: '127.0.0.1', family: 4 },
    });
    for (const address of ['10.0.0.1', '169.254.169.254', '0.0.0.0', 'fd00::1', '::7f00:1']) {
      expect({ address, allowed: checkAddress(address, development).allowed }).toEqual({ address, allowed: false });
    }
  });

  it('opens private networks, but never metadata or link-local, for on-premise installs', () => {
    for (const address of ['10.0.0.1', '172.20.1.1', '192.168.1.1', '100.64.0.1', 'fd12::1', '::ffff:10.0.0.1']) {
      expect({ address, allowed: checkAddress(address, onPremise).allowed }).toEqual({ address, allowed: true });
    }
    for (const address of ['127.0.0.1', '169.254.169.254', '100.100.100.200', 'fd00:ec2::254', 'fe80::1']) {
      expect({ address, allowed: checkAddress(address, onPremise).allowed }).toEqual({ address, allowed: false });
    }
  });
});
