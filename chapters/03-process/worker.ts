/**
 * Chapter 03: a worker process. server.ts starts it in one of two ways:
 *
 *     deno run --allow-ffi worker.ts --parent PID --listener FD
 *     deno run --allow-ffi worker.ts --parent PID --connection FD
 *
 * With `--listener`, it accepts clients on the listening socket it inherited,
 * one at a time, until it is told to stop (prefork). With `--connection`, it
 * echoes the one client it inherited and exits (a process per connection).
 * Either way the echo is chapter 01's blocking loop, written out again here:
 * a process serving one client has nothing else to do while it waits, so it
 * may as well sleep.
 *
 * A worker installs no signal listener: SIGTERM, from the master or from the
 * kernel when the master dies, ends it on the spot, and the kernel closes
 * its sockets.
 *
 * @module
 */
import {
  accept4,
  close,
  recv,
  sendAll,
  shutdown,
} from "@echo-lab/shared/socket";
import { SHUT_WR } from "@echo-lab/shared/constants";
import {
  ECONNABORTED,
  EMFILE,
  ENFILE,
  ENOBUFS,
  ENOMEM,
  EPROTO,
  isPeerGone,
  SyscallError,
} from "@echo-lab/shared/errno";
import { childArgs, dieWithParent } from "./spawn.ts";

// #region worker
const { parent, listener, connection } = childArgs();
dieWithParent(parent);

if (connection !== undefined) {
  serve(connection);
} else {
  for (;;) serve(await acceptNext(listener));
}
// #endregion

// #region accept
/** The next client on the shared listening socket. */
async function acceptNext(listener: number): Promise<number> {
  for (;;) {
    try {
      // Sleeps until a client has completed its handshake. Every idle worker
      // sleeps right here, on the same socket; for each new connection the
      // kernel wakes exactly one of them (accept waits are exclusive).
      const conn = accept4(listener);
      if (conn !== null) return conn;
    } catch (error) {
      if (!endsOnlyThisAccept(error)) throw error;
      console.error(`worker ${Deno.pid}: ${(error as Error).message}`);
      // Out of descriptors, the connection is still queued and accept would
      // fail again at once: wait instead of spinning.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Errors that end one accept, not the worker: the client gave up before we
 * got to it (ECONNABORTED, EPROTO), or this process or the whole system is
 * out of descriptors or buffers for a moment. */
function endsOnlyThisAccept(error: unknown): boolean {
  return error instanceof SyscallError &&
    [ECONNABORTED, EPROTO, EMFILE, ENFILE, ENOBUFS, ENOMEM].includes(
      error.errno,
    );
}
// #endregion

// #region echo
/** Serves one client with chapter 01's blocking loop, then closes it. */
function serve(conn: number): void {
  try {
    echo(conn, new Uint8Array(64 * 1024));
  } catch (error) {
    // A reset or a broken pipe ends this client only.
    if (!isPeerGone(error)) {
      console.error(`worker ${Deno.pid}: ${(error as Error).message}`);
    }
  } finally {
    close(conn);
  }
}
// #endregion

// #region echo-loop
/** Chapter 01's loop: echoes `fd` until the peer shuts down its writing side.
 * Throws on a reset (ECONNRESET) or a peer that has gone (EPIPE). */
function echo(fd: number, buffer: Uint8Array): void {
  for (;;) {
    // This process sleeps inside recv(2) until bytes arrive; then the kernel
    // copies them into `buffer`, and only then does the call return.
    const n = recv(fd, buffer)!;
    if (n === 0) break; // the peer sent FIN: it will send nothing more
    // send(2) sleeps while the peer is not reading: backpressure, and no
    // other client waits for it, since they are in other processes.
    sendAll(fd, buffer.subarray(0, n));
  }
  // Everything read has been echoed: now send our own FIN.
  shutdown(fd, SHUT_WR);
}
// #endregion
