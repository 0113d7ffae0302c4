/**
 * Lingering close, as nginx's `lingering_close`: a refusal (401, 403, 413, or 400 from the shape
 * guard) is often sent while the client is still writing its body. Closing the socket with that
 * body unread makes the kernel answer with a reset, and a reset that reaches the client before it
 * has read the answer throws the answer away: the sender sees ECONNRESET instead of "the batch is
 * too large", and a shipper retries the same batch for ever instead of splitting it.
 *
 * So after such an answer the server half-closes (FIN after the answer), then reads and discards
 * what the client still sends, for at most LINGER_MS and LINGER_BYTES, and only then destroys the
 * socket. Both caps keep the attack surface small: a bomb costs at most 4 MiB of reads more, and
 * a client that keeps sending past them is reset as before.
 */
import type { IncomingMessage } from 'node:http';

/** Long enough for a client on a busy machine to read its answer. */
export const LINGER_MS = 500;
/** At loopback speed a few milliseconds of reading; most bodies end before it. */
export const LINGER_BYTES = 4 * 1024 * 1024;

const lingering = new WeakSet<object>();

/**
 * Makes the connection of `request` linger when Node closes it after the answer. Call it only
 * for an answer sent with `Connection: close` while the body is not read to its end.
 */
export function lingerAfterAnswer(request: IncomingMessage): void {
  const socket = request.socket;
  if (request.complete || lingering.has(socket)) return;
  lingering.add(socket);
  // Node calls destroySoon() once a `Connection: close` answer is written (http server's
  // resOnFinish); it ends and destroys at once. This socket's copy ends, then lingers.
  socket.destroySoon = () => {
    if (socket.destroyed) return;
    socket.end();
    let discarded = 0;
    const close = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    // The body flows through Node's parser into the request: discard it there (what
    // IncomingMessage's own _dump does), counting what passes.
    request.removeAllListeners('data');
    request.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) close();
    });
    request.once('end', close);
    request.once('error', close);
    socket.once('close', () => clearTimeout(timer));
    request.resume();
  };
}
