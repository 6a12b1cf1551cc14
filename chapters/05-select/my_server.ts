// Exercise 05, made from server.ts by `deno task exercise:stubs`.
// `deno task exercise:reset 05` puts this file back as it was.
/**
 * Chapter 05: the select (and poll) echo server. One thread, every socket
 * non-blocking as in chapter 04, but instead of asking each socket in turn
 * whether it has anything, the loop hands the kernel the whole list in one
 * call and sleeps until at least one of them is ready. Idle, it uses no CPU.
 * The price: the list is rebuilt, copied in, checked and scanned in full on
 * every call, and select(2) cannot even name a descriptor numbered 1,024 or
 * more. `--poll` uses poll(2), which has no such limit.
 *
 * Run: deno task server [--host H] [--port P]
 *      deno task server:poll
 *
 * @module
 */
import { announceListening, parseCli } from "@echo-lab/shared/cli";
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "@echo-lab/shared/constants";
import { FD_SETSIZE } from "./select.ts";
import { isPeerGone } from "@echo-lab/shared/errno";
import { listenOrExit } from "@echo-lab/shared/listen";
import { close, recv, send } from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";
import { Acceptor } from "@echo-lab/shared/acceptor";
import { Relay } from "@echo-lab/shared/relay";
import {
  PollReadiness,
  READ,
  type Readiness,
  SelectReadiness,
  WRITE,
} from "./readiness.ts";

// The listening socket and the stop watchdog, set up at the bottom of this
// file. Then the loop: everything this server does happens in it.
const { flags, listener, stop } = setUp();

// #region loop
const readiness: Readiness = flags.poll
  ? new PollReadiness()
  : new SelectReadiness();
const acceptor = new Acceptor(listener.fd);
/** One relay per client (its socket back to itself), and the ticket its
 * socket got in this round's list. */
const connections: { relay: Relay; ticket: number }[] = [];
const buffer = new Uint8Array(64 * 1024);

// TODO(loop): each round, list every socket and what to watch it for, sleep in
// one wait for all of them, then serve the ready ones and accept if the
// listener is ready.
// I AM NOT DONE
// (delete the line above to have your code checked by
// `deno task exercise 05`; stuck? `deno task hint 05`)
closeEverything();
Deno.exit(0);
// #endregion

// #region interest
/** What to watch a client for. Readable only while nothing is pending: the
 * backpressure of chapter 04. Writable only while something is: a socket with
 * room in its send buffer is writable all the time, so asking for it
 * otherwise would make every wait return at once, a busy loop again. */
function interest(relay: Relay): number {
  return (relay.wantsInput ? READ : 0) | (relay.wantsOutput ? WRITE : 0);
}
// #endregion

// #region serve
// TODO(serve): act on what the kernel reported for one client: flush if
// writable, transfer if readable, close it when it is over.
// #endregion

// #region accept
/** A new client, unless its descriptor is one select(2) cannot watch. */
function addConnection(fd: number): void {
  if (fd >= readiness.limit) {
    // An fd_set has FD_SETSIZE bits. Setting bit 1024 would write past the
    // end of the bitmap, corrupting whatever lies beyond (in C, the classic
    // select bug). Turn the client away instead, and say why.
    console.error(
      `refusing a connection: fd ${fd} is at or above FD_SETSIZE ` +
        `(${FD_SETSIZE}), which select(2) cannot watch (--poll can)`,
    );
    close(fd);
    return;
  }
  connections.push({ relay: new Relay(fd, fd, recv, send), ticket: -1 });
}
// #endregion

function closeEverything(): void {
  for (const { relay } of connections) close(relay.from);
  stop.release(listener.fd);
  close(listener.fd);
  stop.close();
}

/** Parses the command line, listens, and starts the stop watchdog; on a bad
 * argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address, flags } = parseCli(Deno.args, {
    usage: "deno task server",
    summary:
      "Echo server on select(2), or poll(2): one call waits for every socket.",
    flags: {
      poll: {
        type: "boolean",
        description: "use poll(2) instead of select(2): no FD_SETSIZE limit",
      },
    },
  });

  // #region listen
  const listener = listenOrExit(address, {
    flags: SOCK_NONBLOCK | SOCK_CLOEXEC,
    raiseFdLimit: true, // one descriptor per client: take all we may have
  });
  // This thread sleeps inside select/poll, where no JavaScript runs. The
  // watchdog thread catches SIGINT/SIGTERM and shuts the listener down, which
  // the kernel reports as "readable": the wait returns and we see the flag.
  const stop = watchStopSignals();
  stop.guard(listener.fd);
  announceListening(listener.address);
  // #endregion
  return { flags, listener, stop };
}
