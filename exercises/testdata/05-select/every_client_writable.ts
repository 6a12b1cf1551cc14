// A wrong solution of exercise 05, which the grader must fail: it puts every client in the write set, pending bytes or not, so select returns at once, for ever.
// expect: writable
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

// #region exercise-loop
while (!stop.requested) {
  // 1. Build the whole list, every round: select(2) overwrote last round's
  //    sets with its answer, and the kernel keeps nothing between calls.
  readiness.clear();
  const pause = acceptor.pausedFor(); // > 0 for a moment after EMFILE
  const listening = pause === 0 ? readiness.watch(listener.fd, READ) : -1;
  for (const connection of connections) {
    connection.ticket = readiness.watch(
      connection.relay.from,
      interest(connection.relay) | WRITE,
    );
  }
  // 2. The only place this thread sleeps. The kernel walks the whole list,
  //    and if nothing is ready, queues us on every socket in it, and sleeps.
  const ready = readiness.wait(pause === 0 ? -1 : pause);
  if (stop.requested) break;
  if (ready === 0) continue; // the pause is over, or a signal came (EINTR)
  // 3. Find out which were ready: a scan of the whole list again, even if
  //    only one socket had news.
  for (let i = connections.length - 1; i >= 0; i--) {
    if (!serve(connections[i])) {
      connections[i] = connections[connections.length - 1];
      connections.pop();
    }
  }
  if (listening !== -1 && readiness.ready(listening) & READ) {
    acceptor.acceptAll(addConnection);
  }
}
// #endregion
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
// #region exercise-serve
/** Acts on what the kernel reported for one client. Returns false when the
 * connection is over and closed. */
function serve({ relay, ticket }: { relay: Relay; ticket: number }): boolean {
  const ready = readiness.ready(ticket);
  if (ready === 0) return true; // not this one: the O(n) scan moves on
  try {
    // Neither call sleeps: the kernel just said the socket is ready, and it
    // is non-blocking anyway.
    if (ready & WRITE) relay.flush();
    if (ready & READ) relay.transfer(buffer);
    if (!relay.done) return true;
  } catch (error) {
    // A peer that left abruptly (a reset, a broken pipe) is routine.
    // Anything else is worth a line. Either way only this connection ends.
    if (!isPeerGone(error)) console.error(String(error));
  }
  close(relay.from); // sends our FIN
  return false;
}
// #endregion
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
