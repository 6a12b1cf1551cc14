// Exercise 04, made from server.ts by `deno task exercise:stubs`.
// `deno task exercise:reset 04` puts this file back as it was.
/**
 * Chapter 04: the busy-polling echo server. One thread, every socket
 * non-blocking, and a loop that never sleeps: on every pass it asks the
 * listener "a new client?" and every connection "anything for me?", and the
 * kernel answers at once, usually "not now" (EAGAIN). It serves any number
 * of clients side by side, and it burns a whole CPU core doing so, even when
 * all of them are silent.
 *
 * Run: deno task server [--host H] [--port P]
 *
 * @module
 */
import { announceListening, parseCli } from "@echo-lab/shared/cli";
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "@echo-lab/shared/constants";
import { isPeerGone } from "@echo-lab/shared/errno";
import { listenOrExit } from "@echo-lab/shared/listen";
import { close, recv, send } from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";
import { Acceptor } from "@echo-lab/shared/acceptor";
import { Relay } from "@echo-lab/shared/relay";

const { listener, stop } = setUp();

// #region loop
const acceptor = new Acceptor(listener.fd);
/** One relay per client, from its socket back to the same socket. */
const connections: Relay[] = [];
// Every read lands here first; a relay copies out only what a short send
// leaves behind. Nothing in an idle pass allocates: no garbage collector
// pauses, however many millions of passes.
const buffer = new Uint8Array(64 * 1024);

// TODO(loop): on every pass, accept whoever is waiting, then give every
// connection one turn, dropping those that are over.
// I AM NOT DONE
// (delete the line above to have your code checked by
// `deno task exercise 04`; stuck? `deno task hint 04`)
closeEverything();
Deno.exit(0);
// #endregion

// #region serve
// TODO(serve): one turn of one connection: send what is pending, read and echo
// what has arrived, close it when it is over.
// #endregion

// #region helpers
function addConnection(fd: number): void {
  connections.push(new Relay(fd, fd, recv, send));
}

function closeEverything(): void {
  for (const connection of connections) close(connection.from);
  close(listener.fd);
  stop.close();
}
// #endregion

/** Parses the command line, listens, and starts the stop watchdog; on a bad
 * argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address } = parseCli(Deno.args, {
    usage: "deno task server",
    summary:
      "Busy-polling echo server: non-blocking sockets, a loop that never sleeps.",
  });

  // #region listen
  // SOCK_NONBLOCK: accept4 on this listener never sleeps. With no client
  // queued it fails at once with EAGAIN, which accept4() returns as null.
  const listener = listenOrExit(address, {
    flags: SOCK_NONBLOCK | SOCK_CLOEXEC,
    raiseFdLimit: true, // one descriptor per client: take all we may have
  });
  // The loop below never returns to Deno's event loop, so a signal listener on
  // this thread would never get to run. A watchdog thread catches SIGINT and
  // SIGTERM and raises a flag in shared memory; the loop reads the flag on
  // every pass (one atomic load) and winds down. Nothing needs waking: this
  // thread is never asleep.
  const stop = watchStopSignals();
  announceListening(listener.address);
  // #endregion
  return { listener, stop };
}
