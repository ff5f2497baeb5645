import { Injectable } from '@nestjs/common';
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { AppConfig } from '@sigdesk/config';
import { AddressPolicy, AllowedAddress, checkAddress } from './webhook-address-policy';

/**
 * Where a webhook's URL may be sent: every address its host resolves to, each checked. `refused` when any address is
 * refused (the detail names it, for the logs only), `unresolvable` when the name gives no address in time.
 */
export type Destination =
  | { outcome: 'allowed'; addresses: AllowedAddress[] }
  | { outcome: 'refused'; detail: string }
  | { outcome: 'unresolvable'; detail: string };

/** Names that are loopback by definition (RFC 6761), whatever a resolver says. */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/**
 * Resolves a webhook's host and checks every address it gives against the installation's address policy, at
 * registration and again before every delivery (DNS can change in between). The delivery then connects to the
 * addresses checked here, never resolving the name again.
 *
 * Names are resolved with Node's DNS resolver (c-ares, `SIGDESK_WEBHOOKS_DNS_SERVERS` or the system's servers), not
 * `getaddrinfo`: its queries are timed and run on the event loop, where `getaddrinfo` would hold one of libuv's four
 * threads (shared with file and crypto work) for as long as a customer's name server keeps it waiting. The hosts
 * file is therefore not read, except that `localhost` and `*.localhost` are loopback.
 */
@Injectable()
export class WebhookDestinations {
  private readonly policy: AddressPolicy;

  constructor(private readonly config: AppConfig) {
    this.policy = { allowLoopback: config.webhooks.allowLoopback, allowPrivate: config.webhooks.allowPrivate };
  }

  /** `deadline`: the epoch milliseconds by which resolving must be done. */
  async resolve(url: URL, deadline: number): Promise<Destination> {
    const host = url.hostname
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/\.$/, '')
      .toLowerCase();
    let candidates: string[];
    if (isIP(host)) candidates = [host];
    else if (isLocalhostName(host)) candidates = ['127.0.0.1', '::1'];
    else {
      const resolved = await this.lookup(host, deadline);
      if (typeof resolved === 'string') return { outcome: 'unresolvable', detail: `${host}: ${resolved}` };
      candidates = resolved;
    }
    const addresses: AllowedAddress[] = [];
    for (const candidate of candidates) {
      const verdict = checkAddress(candidate, this.policy);
      if (!verdict.allowed)
        return { outcome: 'refused', detail: `${host} resolves to ${candidate}: ${verdict.reason}` };
      if (!addresses.some((a) => a.address === verdict.connect.address)) addresses.push(verdict.connect);
    }
    return { outcome: 'allowed', addresses };
  }

  /** The A and AAAA addresses of a name, or why there are none. */
  private async lookup(host: string, deadline: number): Promise<string[] | string> {
    const budget = Math.max(deadline - Date.now(), 1);
    // a resolver per lookup: cancelling it at the deadline cancels this lookup's queries only
    const resolver = new dns.Resolver({ timeout: Math.max(Math.floor(budget / 2), 50), tries: 2 });
    if (this.config.webhooks.dnsServers) resolver.setServers(this.config.webhooks.dnsServers);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), budget)));
    try {
      const answers = await Promise.race([
        Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]),
        expired,
      ]);
      if (answers === 'expired') {
        resolver.cancel();
        return `no DNS answer within ${budget} ms`;
      }
      const addresses = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
      if (addresses.length > 0) return addresses;
      const codes = answers.map((answer) =>
        answer.status === 'rejected' ? String((answer.reason as { code?: unknown }).code ?? answer.reason) : 'none',
      );
      return `no address (A: ${codes[0]}, AAAA: ${codes[1]})`;
    } finally {
      clearTimeout(timer);
    }
  }
}
