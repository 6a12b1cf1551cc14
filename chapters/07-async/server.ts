/**
 * Chapter 07: the async echo server. Deno's own networking: one listener,
 * one async task per connection, no threads of our own. Every `await` below
 * is a point where this task steps aside and the event loop (tokio, over
 * epoll) runs whichever other task's socket the kernel says is ready.
 *
 * Run: deno task server [--host H] [--port P]
 *
 * @module
 */
import {
  announceListening,
  cannotListen,
  parseCli,
} from "@echo-lab/shared/cli";

// What the loop, each connection's task and stop() share: the connections
// open now, and whether a stop signal has come.
const live = new Set<Deno.TcpConn>();
let stopping = false;
// Set up at the bottom of this file: the listening socket, and SIGINT and
// SIGTERM wired to stop().
const listener = setUp();

// #region loop
// The accept loop. `await listener.accept()` parks this task until the
// kernel has a completed handshake queued; meanwhile the other tasks run.
const tasks = new Set<Promise<void>>();
// #region exercise-loop
while (!stopping) {
  let conn: Deno.TcpConn;
  try {
    conn = await listener.accept();
  } catch (error) {
    if (stopping) break;
    // EMFILE, ECONNABORTED and friends end one accept, not the server. Back
    // off briefly so a full fd table does not turn into a hot loop.
    console.error(`accept: ${(error as Error).message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    continue;
  }
  live.add(conn);
  const task = echo(conn).finally(() => {
    live.delete(conn);
    tasks.delete(task);
  });
  tasks.add(task);
}
// #endregion
await Promise.all(tasks);
Deno.exit(0);
// #endregion

// #region echo
// #region exercise-echo
/** Echoes one connection until the peer half-closes or the link breaks. */
async function echo(conn: Deno.TcpConn): Promise<void> {
  // One buffer per connection, reused for every read: memory per idle
  // connection stays at this buffer plus the kernel's socket buffers.
  const buffer = new Uint8Array(16 * 1024);
  try {
    for (;;) {
      // Waits (without blocking the thread) until bytes arrive; then the copy
      // from the kernel's receive buffer into `buffer` happens in this call.
      const n = await conn.read(buffer);
      if (n === null) break; // the peer sent FIN: nothing more will come
      await writeAll(conn, buffer.subarray(0, n));
    }
    // Half-close done right: everything read has been echoed; now send our
    // own FIN and let the peer finish reading.
    await conn.closeWrite();
  } catch (error) {
    // A reset, a broken pipe or a half-close of a torn-down connection ends
    // this connection only, and is routine (a load generator that exits
    // resets all 10,000 of its connections at once): not worth a line.
    // Anything else is.
    const peerGone = error instanceof Deno.errors.ConnectionReset ||
      error instanceof Deno.errors.BrokenPipe ||
      error instanceof Deno.errors.NotConnected;
    if (!stopping && !peerGone) {
      console.error(`connection: ${(error as Error).message}`);
    }
  } finally {
    try {
      conn.close();
    } catch { /* already closed by stop() */ }
  }
}
// #endregion
// #endregion

// #region write-all
/** write() may take fewer bytes than offered when the peer reads slowly and
 * the send buffer is full. Awaiting each write is our backpressure: we read
 * nothing more from this peer until its echo has left. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.byteLength;) {
    off += await conn.write(bytes.subarray(off));
  }
}
// #endregion

// #region shutdown
// Signal listeners run on this same event loop: nothing here ever blocks the
// thread, so they fire promptly, and a flag is all the state stopping needs
// (the chapters that sleep in a syscall need shared/stop_signal.ts's
// watchdog thread instead). Closing the listener ends the accept loop;
// closing each connection makes its pending read reject, ending its task.
// Ctrl-C often calls stop() twice: the terminal signals the whole process
// group, and `deno task` passes the signal on to us once more. Closing a
// closed listener throws, so the second call must do nothing.
function stop() {
  if (stopping) return;
  stopping = true;
  listener.close();
  for (const conn of live) conn.close();
}
// #endregion

/** Parses the command line, listens, and wires SIGINT/SIGTERM to stop(); on
 * a bad argument or a port in use, one line on stderr and exit. */
function setUp(): Deno.TcpListener {
  const { address } = parseCli(Deno.args, {
    usage: "deno task server",
    summary: "Echo server on Deno's async I/O: one task per connection.",
  });

  // #region listen
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: address.host, port: address.port });
  } catch (error) {
    cannotListen(error, address);
  }
  // #endregion

  // #region signals
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // Ready only now: a signal before its listener would have ended the process
  // with the default action (exit 130 or 143), not through stop().
  announceListening({ ...address, port: listener.addr.port });
  // #endregion
  return listener;
}
