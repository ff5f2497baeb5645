import { isIPv4, isIPv6 } from 'node:net';

/**
 * The bucket an address counts in: an IPv4 address alone (an IPv4-mapped IPv6 address as its IPv4 address), an
 * IPv6 address with its whole /64, since one subscriber gets at least a /64 and could otherwise take a fresh
 * address for every request.
 */
export function addressBucket(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const groups = expandIPv6(ip.split('%', 1)[0]);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, without leading zeros (`2001:db8::1` → 2001, db8, 0, 0, 0, 0, 0, 1). */
function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':') : []);
  const left = parse(head);
  const right = parse(tail);
  // an embedded IPv4 tail (::1.2.3.4) takes two groups
  const last = right.length ? right : left;
  if (last.length && last[last.length - 1].includes('.')) {
    const octets = last.pop()!.split('.').map(Number);
    last.push(((octets[0] << 8) | octets[1]).toString(16), ((octets[2] << 8) | octets[3]).toString(16));
  }
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16).toString(16));
}
