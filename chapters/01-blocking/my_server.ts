// Exercise 01, made from server.ts by `deno task exercise:stubs`.
// `deno task exercise:reset 01` puts this file back as it was.
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
// TODO(loop): accept a client, serve it until it leaves, and go back for the
// next, until a stop signal; a failed accept is logged, then retried after 100
// ms.
// I AM NOT DONE
// (delete the line above to have your code checked by
// `deno task exercise 01`; stuck? `deno task hint 01`)
stop.release(listener.fd);
close(listener.fd);
stop.close();
Deno.exit(0);
// #endregion

// #region serve
// TODO(serve): run `echo(fd, buffer)` on one connection, guarded so a stop
// signal wakes it, and close the connection whatever happens.
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
