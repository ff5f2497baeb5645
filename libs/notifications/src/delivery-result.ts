/**
 * What customers are told of a delivery's last attempt: the kind of result, and for a receiver's answer its status.
 * Never the socket's error, the resolved address or how long the attempt took: those would tell one port or host
 * from another (a port scanner). The detail goes to the operators' logs.
 */
export type DeliveryResult =
  'delivered' | 'receiver_error' | 'unreachable' | 'refused_destination' | 'webhook_disabled';

export const WEBHOOK_DISABLED = 'webhook disabled';

/** The sentence stored as the delivery's `last_error` and shown as `lastError`; null when it was delivered. */
export function deliveryResultMessage(result: DeliveryResult, statusCode: number | null): string | null {
  switch (result) {
    case 'delivered':
      return null;
    case 'receiver_error':
      return statusCode !== null && statusCode >= 300 && statusCode < 400
        ? `The receiver answered HTTP ${statusCode} (redirects are not followed).`
        : `The receiver answered HTTP ${statusCode}.`;
    case 'unreachable':
      return 'The receiver could not be reached, or did not answer in time.';
    case 'refused_destination':
      return 'The webhook host resolves to an address that webhooks may not be sent to (loopback, private, link-local or reserved).';
    case 'webhook_disabled':
      return WEBHOOK_DISABLED;
  }
}
