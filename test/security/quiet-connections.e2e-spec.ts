import { connect, Socket } from 'node:net';
import { startTestEnvironment } from '@sigdesk/testing';

async function connected(url: string): Promise<Socket> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/**
 * A stopping API waits for the requests in flight, not for connections without one: a client that connects and
 * says nothing (or a kept-alive connection between requests) used to hold a SIGTERM for the idle timeout, minutes.
 */
describe('connections without a request in flight, when the API stops', () => {
  it('are closed at once, while a request in flight is answered', async () => {
    const env = await startTestEnvironment({ worker: false });
    const quiet = await connected(env.url);
    const keptAlive = await connected(env.url);
    keptAlive.write('GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((resolve) => keptAlive.once('data', resolve));
    const quietClosed = new Promise((resolve) => quiet.once('close', resolve));
    const keptAliveClosed = new Promise((resolve) => keptAlive.once('close', resolve));

    // before the fix, this waited for the idle timeout (300 s) and the test's 60 s ran out
    await env.close();
    await Promise.all([quietClosed, keptAliveClosed]);
    expect(quiet.destroyed).toBe(true);
    expect(keptAlive.destroyed).toBe(true);
  });
});
