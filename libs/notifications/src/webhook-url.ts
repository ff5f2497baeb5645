import { isIPv4 } from 'node:net';

export const WEBHOOK_URL_MAX_LENGTH = 2000;

/**
 * Loopback hosts, where plain http is allowed: tests and local development run their receivers there, and
 * traffic to them never leaves the machine.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  return isIPv4(host) && host.startsWith('127.');
}

/**
 * Why a URL cannot receive webhooks, or null when it can: https anywhere, http only to a loopback host (a
 * delivery carries case facts and its signature; neither should cross a network in clear).
 */
export function webhookUrlProblem(value: string): string | null {
  if (value.length > WEBHOOK_URL_MAX_LENGTH) return `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://hooks.example.com/sigdesk';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return 'must be an https URL (plain http is accepted only for loopback hosts: 127.0.0.1, localhost, [::1])';
  }
  // they would be shown in every listing of the webhook, which is no place for credentials
  if (url.username || url.password) return 'must not contain a user name or password';
  return null;
}
