/**
 * Chapter 01: the blocking echo server. One thread, blocking system calls,
 * one client at a time: `accept` sleeps until a client arrives, `recv` sleeps
 * until it sends, `send` sleeps until the kernel has room. While this thread
 * sleeps in one client's `recv`, nobody calls `accept`, so the next client
 * waits in the kernel's backlog until the first one leaves.
 *
 * Run: deno task server [--host H] [--port P]
 *
 * @module
 */
import { announceListening, parseCli } from "@echo-lab/shared/cli";
import { listenOrExit } from "@echo-lab/shared/listen";
import { accept4, close } from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";
import { echo } from "./echo.ts";
import { isPeerGone } from "@echo-lab/shared/errno";

const { listener, stop } = setUp();

// #region loop
const buffer = new Uint8Array(64 * 1024);
// #region exercise-loop
while (!stop.requested) {
  let fd: number;
  try {
    // Sleeps until a client has completed the TCP handshake, which the
    // kernel does on its own and queues in the listener's backlog.
    fd = accept4(listener.fd)!;
  } catch (error) {
    if (stop.requested) break; // the watchdog shut the listener down
    // EMFILE, ENFILE, ECONNABORTED: one accept fails, the server goes on.
    // The client stays in the backlog; pause so that a full descriptor
    // table does not become a loop asking for it thousands of times a second.
    console.error(`accept: ${(error as Error).message}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    continue;
  }
  serve(fd); // returns only when this client has gone
}
// #endregion
stop.release(listener.fd);
close(listener.fd);
stop.close();
Deno.exit(0);
// #endregion

// #region serve
// #region exercise-serve
/** Runs the echo loop on one connection and closes it, whatever happens. */
function serve(fd: number): void {
  stop.guard(fd); // so a stop signal wakes us from this client's recv too
  try {
    echo(fd, buffer);
  } catch (error) {
    // A reset or a vanished peer ends this connection, not the server.
    if (!stop.requested && !isPeerGone(error)) {
      console.error(`connection: ${(error as Error).message}`);
    }
  } finally {
    stop.release(fd); // before close: the number will be reused
    close(fd);
  }
}
// #endregion
// #endregion

/** Parses the command line, listens, and starts the stop watchdog; on a bad
 * argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address } = parseCli(Deno.args, {
    usage: "deno task server",
    summary: "Blocking echo server: one client at a time.",
  });

  // #region listen
  const listener = listenOrExit(address); // or one line on stderr, and exit 1
  // While this thread sleeps inside accept or recv, no JavaScript runs on it,
  // signal listeners included. A watchdog thread catches SIGINT/SIGTERM and
  // shuts down every socket we guard, which wakes the sleeping call.
  const stop = watchStopSignals();
  stop.guard(listener.fd);
  announceListening(listener.address);
  // #endregion
  return { listener, stop };
}
