import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I';
  const body = '{"id":"d1","type":"case.status_changed","case":{"status":"queued"}}';
  const now = new Date('2026-11-25T10:00:00Z');
  const timestamp = Math.floor(now.getTime() / 1000);

  it('signs "<timestamp>.<body>" with HMAC-SHA256, as sha256=<hex>', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    expect(signWebhook(secret, timestamp, body)).toBe(`sha256=${expected}`);
    expect(signWebhook(secret, String(timestamp), Buffer.from(body))).toBe(`sha256=${expected}`);
  });

  it('verifies its own signature, with the timestamp as the header gives it', () => {
    const signature = signWebhook(secret, timestamp, body);
    expect(verifyWebhookSignature(secret, String(timestamp), body, signature, { now })).toBe(true);
    expect(verifyWebhookSignature(secret, timestamp, Buffer.from(body), signature, { now })).toBe(true);
  });

  it('refuses another secret, another body or another timestamp', () => {
    const signature = signWebhook(secret, timestamp, body);
    expect(verifyWebhookSignature('another secret', timestamp, body, signature, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, timestamp, body.replace('queued', 'fixed'), signature, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, timestamp + 1, body, signature, { now })).toBe(false);
  });

  it('refuses a replay older than the tolerance, and a timestamp from the future', () => {
    const old = timestamp - 301;
    expect(verifyWebhookSignature(secret, old, body, signWebhook(secret, old, body), { now })).toBe(false);
    expect(
      verifyWebhookSignature(secret, old, body, signWebhook(secret, old, body), { now, toleranceSeconds: 600 }),
    ).toBe(true);
    const future = timestamp + 301;
    expect(verifyWebhookSignature(secret, future, body, signWebhook(secret, future, body), { now })).toBe(false);
  });

  it('refuses missing or malformed headers without throwing', () => {
    const signature = signWebhook(secret, timestamp, body);
    expect(verifyWebhookSignature(secret, undefined, body, signature, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, timestamp, body, undefined, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, 'yesterday', body, signature, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, timestamp, body, 'sha256=abc', { now })).toBe(false);
    expect(verifyWebhookSignature(secret, timestamp, body, signature.replace('sha256=', 'md5='), { now })).toBe(false);
  });
});
