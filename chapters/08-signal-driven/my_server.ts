// Exercise 08, made from server.ts by `deno task exercise:stubs`.
// `deno task exercise:reset 08` puts this file back as it was.
/**
 * Chapter 08: the signal-driven echo server. Every socket is non-blocking and
 * has O_ASYNC set with this process as its owner, so the kernel sends us
 * SIGIO whenever any of them changes state. The server sleeps until a SIGIO
 * arrives, then, because the signal does not say which socket it was about,
 * visits every socket and does whatever each one allows without waiting.
 *
 * Run: deno task server [--host H] [--port P]
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { announceListening, fatal, parseCli } from "@echo-lab/shared/cli";
import { listenOrExit } from "@echo-lab/shared/listen";
import { accept4, close, recv, send } from "@echo-lab/shared/socket";
import { enableSigio, SignalLatch } from "./sigio.ts";
import { isPeerGone } from "@echo-lab/shared/errno";
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "@echo-lab/shared/constants";

// The SIGIO latch and the listening socket, set up at the bottom of this file.
const { sigio, listener } = setUp();

// #region state
/** One client. `pending` holds echo bytes the kernel would not take yet:
 * while it is set, we read nothing more from this client. */
interface Connection {
  fd: number;
  pending: Uint8Array | null;
}
const connections = new Map<number, Connection>();
/** One read buffer for all: each chunk is echoed at once, and only what the
 * kernel would not take is copied aside. */
const buffer = new Uint8Array(64 * 1024);
/** Fairness: one visit reads at most this many buffers, so a fast client
 * can't hold up the pass. What it leaves raises no new signal, but the pass
 * reports progress, so another pass follows. */
const READS_PER_VISIT = 4;
const ACCEPTS_PER_PASS = 64;
/** How long a failing accept (EMFILE, say) pauses the listener. */
const ACCEPT_BACKOFF_MS = 100;
let acceptPausedUntil = 0;
// #endregion

// #region stop
// Nothing in this program blocks the thread, so SIGINT and SIGTERM listeners
// run as promptly as the SIGIO one: they raise a flag and wake the loop (a
// second Ctrl-C, which `deno task` forwards, raises it again: harmless). No
// watchdog thread (shared/stop_signal.ts), which only a thread asleep in a
// syscall needs.
let stopping = false;
function stop() {
  stopping = true;
  sigio.set();
}
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
// Ready only now: until its listener is in place, a stop signal ends the
// process with its default action (exit 130 or 143), not through stop().
announceListening(listener.address);
// #endregion

// #region loop
// The whole server. `sigio.wait()` is the only place it sleeps: it resolves
// when the kernel has sent SIGIO (or a timer or stop() wakes us). Then drain
// passes over every socket, until a pass finds nothing left to do. Outside
// the wait SIGIO is blocked: what changes while we work leaves it pending in
// the kernel, to be delivered, once, when we next wait.
// TODO(loop): sleep until a SIGIO, then run drain passes until one finds
// nothing to do.
// I AM NOT DONE
// (delete the line above to have your code checked by
// `deno task exercise 08`; stuck? `deno task hint 08`)
for (const conn of connections.values()) close(conn.fd);
close(listener.fd);
Deno.exit(0);
// #endregion

// #region drain
// TODO(drain): one pass: accept, and visit every connection; report whether
// anything happened.
// #endregion

// #region accept
/** Takes the queued connections off the listener. Each new socket is made
 * signal-driven before it is first read: data that arrived before that
 * raised no signal, so this pass must read it (`serve` follows). */
function acceptAll(): boolean {
  if (performance.now() < acceptPausedUntil) return false;
  let progress = false;
  for (let i = 0; i < ACCEPTS_PER_PASS; i++) {
    let fd: number | null;
    try {
      fd = accept4(listener.fd, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd === null) break; // EAGAIN: the queue is empty
    } catch (error) {
      // EMFILE, ENFILE, ENOBUFS, ECONNABORTED...: end this accept, not the
      // server. The queued connections raise no new SIGIO, so a timer
      // brings us back to them; until then, passes skip the listener.
      console.error(`accept: ${(error as Error).message}`);
      acceptPausedUntil = performance.now() + ACCEPT_BACKOFF_MS;
      setTimeout(() => sigio.set(), ACCEPT_BACKOFF_MS);
      break;
    }
    try {
      enableSigio(fd);
    } catch (error) {
      console.error(`fcntl: ${(error as Error).message}`);
      close(fd);
      continue;
    }
    connections.set(fd, { fd, pending: null });
    progress = true;
  }
  return progress;
}
// #endregion

// #region serve
// TODO(serve): one visit: send what is pending, then read and echo until the
// socket is empty, the kernel takes no more, or the budget is spent.

function drop(conn: Connection) {
  connections.delete(conn.fd);
  close(conn.fd);
}
// #endregion

/** Lets the event loop turn between passes (timers, signals, SIGTERM)
 * without sleeping: a busy stream never starves the stop listener. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Parses the command line, installs the SIGIO listener and listens with
 * O_ASYNC (the ready line waits for the stop listeners, in `stop` above); on
 * a bad argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address } = parseCli(Deno.args, {
    usage: "deno task server",
    summary: "Echo server driven by SIGIO: sleep until the kernel signals.",
  });

  // #region setup
  // The SIGIO listener goes in first. SIGIO's default action ends the process,
  // and from the moment a socket has O_ASYNC the kernel may raise it.
  const sigio = new SignalLatch("SIGIO");
  const listener = listenOrExit(address, {
    flags: SOCK_NONBLOCK | SOCK_CLOEXEC,
  });
  try {
    enableSigio(listener.fd);
  } catch (error) {
    fatal(error);
  }
  // #endregion
  return { sigio, listener };
}
