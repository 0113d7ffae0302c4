/**
 * Lingering close, as nginx's `lingering_close`: a refusal (401, 403, 413, or 400 from the shape
 * guard) is often sent while the client is still writing its body. Closing the socket with that
 * body unread makes the kernel answer with a reset, and a reset that reaches a client before it
 * has read the answer throws the answer away: the sender sees ECONNRESET instead of "the batch is
 * too large", and a shipper retries the same batch for ever instead of splitting it. Measured in
 * the resource-bomb test with the attacker scheduled late: 103 of 171 answers lost that way.
 *
 * So after such an answer the server half-closes (FIN after the answer) and stops reading, and
 * destroys the socket once the client has closed its side or after LINGER_MS. Nothing more is
 * read: the client's unsent body waits in its own buffers, which costs the server nothing (a
 * linger that read and discarded the rest cost each bomb up to megabytes of reads and garbage).
 */
import type { IncomingMessage } from 'node:http';

/** Long enough for a client on a busy machine to read its answer. */
export const LINGER_MS = 500;

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
  // resOnFinish, after it may have set the request to discard its body); it ends and destroys
  // at once. This socket's copy ends, stops reading, and destroys later.
  socket.destroySoon = () => {
    if (socket.destroyed) return;
    socket.end();
    request.removeAllListeners('data');
    request.pause();
    socket.pause();
    // Not unref'd: a paused socket is no active handle, and a server closing meanwhile waits for
    // this connection; an unref'd timer would let the process exit with that close pending.
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
  };
}
