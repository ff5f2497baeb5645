import ipaddr from 'ipaddr.js';

/** Which non-public destinations an installation lets webhooks reach. Both off in production. */
export interface AddressPolicy {
  /** 127.0.0.0/8 and ::1 (and their IPv4-mapped forms): a developer's machine, the tests. */
  allowLoopback: boolean;
  /** RFC 1918, carrier-grade NAT (100.64.0.0/10) and unique-local IPv6 (fc00::/7): on-premise installs. */
  allowPrivate: boolean;
}

/** An address that may be connected to, in the form to connect to (an IPv4-mapped address as plain IPv4). */
export interface AllowedAddress {
  address: string;
  family: 4 | 6;
}

export type AddressVerdict = { allowed: true; connect: AllowedAddress } | { allowed: false; reason: string };

/**
 * Cloud metadata and platform services, refused whatever the policy: some sit in link-local space, but others in
 * public (Azure's wire server), carrier-grade NAT (Alibaba) or unique-local space (AWS over IPv6), which an
 * on-premise install may open.
 */
const METADATA_ADDRESSES = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean…
    '169.254.170.2', // AWS ECS task credentials
    '169.254.170.23', // AWS EKS pod identity
    '168.63.129.16', // Azure wire server
    '100.100.100.200', // Alibaba Cloud
    '192.0.0.192', // Oracle Cloud
    'fd00:ec2::254', // AWS over IPv6
    'fd00:ec2::23', // AWS EKS pod identity over IPv6
    'fd20:ce::254', // GCP over IPv6
  ].map((address) => ipaddr.parse(address).toNormalizedString()),
);

/** Where every allocated global unicast IPv6 address lives; the rest of the IPv6 space is special or unassigned. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address the gateway connects to. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

const IPV4_NAMES: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a private (carrier-grade NAT) address',
  private: 'a private address',
  reserved: 'a reserved address',
  as112: 'a reserved (AS112) address',
  amt: 'a reserved (AMT) address',
};

/**
 * Whether a webhook may connect to `address` (an IP address as DNS or a URL gives it). Only public unicast space is
 * allowed, plus what the policy opens; an IPv6 form that carries an IPv4 address (IPv4-mapped, NAT64) is judged by
 * the IPv4 address it carries, and the other such forms (IPv4-compatible, IPv4-translated, 6to4, Teredo) are refused.
 */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address.replace(/^\[(.*)\]$/, '$1'));
  } catch {
    return { allowed: false, reason: 'not an IP address' };
  }
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) return { allowed: false, reason: 'a cloud metadata address' };
  if (ip.kind() === 'ipv4') {
    const reason = ipv4Problem(ip as ipaddr.IPv4, policy);
    return reason ? { allowed: false, reason } : { allowed: true, connect: { address: ip.toString(), family: 4 } };
  }
  return checkIPv6(ip as ipaddr.IPv6, policy);
}

function ipv4Problem(ip: ipaddr.IPv4, policy: AddressPolicy): string | null {
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) return 'a cloud metadata address';
  const range = ip.range();
  if (range === 'unicast') return null;
  if (range === 'loopback' && policy.allowLoopback) return null;
  if ((range === 'private' || range === 'carrierGradeNat') && policy.allowPrivate) return null;
  return IPV4_NAMES[range] ?? `a special-purpose address (${range})`;
}

function checkIPv6(ip: ipaddr.IPv6, policy: AddressPolicy): AddressVerdict {
  if (ip.zoneId) return { allowed: false, reason: 'an address with a zone (link-local)' };
  const range = ip.range();
  if (range === 'ipv4Mapped') {
    const v4 = ip.toIPv4Address();
    const reason = ipv4Problem(v4, policy);
    return reason
      ? { allowed: false, reason: `${reason} (IPv4-mapped)` }
      : { allowed: true, connect: { address: v4.toString(), family: 4 } };
  }
  if (ip.match(NAT64_WELL_KNOWN)) {
    const [, , , , , , high, low] = ip.parts;
    const reason = ipv4Problem(new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]), policy);
    // through the NAT64 gateway: connected to as IPv6
    return reason
      ? { allowed: false, reason: `${reason} (NAT64)` }
      : { allowed: true, connect: { address: ip.toString(), family: 6 } };
  }
  if (range === 'loopback') {
    return policy.allowLoopback
      ? { allowed: true, connect: { address: ip.toString(), family: 6 } }
      : { allowed: false, reason: 'a loopback address' };
  }
  if (range === 'uniqueLocal') {
    return policy.allowPrivate
      ? { allowed: true, connect: { address: ip.toString(), family: 6 } }
      : { allowed: false, reason: 'a unique-local (private) address' };
  }
  if (range === 'unicast' && ip.match(GLOBAL_UNICAST_V6)) {
    return { allowed: true, connect: { address: ip.toString(), family: 6 } };
  }
  if (range === 'unicast' && ip.parts.slice(0, 6).every((part) => part === 0)) {
    return { allowed: false, reason: 'an IPv4-compatible address (deprecated)' };
  }
  return {
    allowed: false,
    reason: range === 'unicast' ? 'an unassigned IPv6 address' : `a special-purpose address (${range})`,
  };
}
