import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';

/**
 * A stopping API waits for the requests in flight, not for connections that carry none. Node's server, once
 * closed, still waits for a connection that never sent a request (a browser's preconnect, a client that opened and
 * went quiet) until its idle timeout, and for a keep-alive one that turns idle after the close until the keep-alive
 * timeout: minutes before a SIGTERM ends the process. So: at close, connections without a request in flight are
 * ended at once, and the others as soon as their last answer is out.
 */
export function drainConnectionsOnClose(fastify: FastifyInstance): void {
  const inFlight = new Map<Socket, number>();
  let closing = false;

  fastify.server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  fastify.server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (closing && left === 0) endSoon(socket);
    });
  });
  fastify.addHook('preClose', (done) => {
    closing = true;
    for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    done();
  });
}

/** Ends a connection once its last answer is written, and destroys it if the client does not close its side. */
function endSoon(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}
