import { postWebhook } from './webhook-request';

const request = {
  url: 'https://hooks.example.com/sigdesk',
  deliveryId: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
  eventType: 'case.status_changed',
  secret: 'whsec_test',
  body: '{}',
  now: new Date(),
};
const limits = () => ({ connectTimeoutMs: 2_000, deadline: Date.now() + 5_000 });

describe('postWebhook', () => {
  it('answers unreachable when the connection fails at once, never throws', async () => {
    // on a machine without a route to it (a network namespace of its own, as CI's), connecting fails at once with
    // ENETUNREACH; elsewhere the connection times out
    const outcome = await postWebhook(request, [{ address: '93.184.215.14', family: 4 } as never], limits());
    expect(outcome).toMatchObject({ result: 'unreachable', statusCode: null });
  });
});
