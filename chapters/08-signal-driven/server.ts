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
// #region exercise-loop
while (!stopping) {
  await sigio.wait();
  while (!stopping && drainPass()) await nextTurn();
}
// #endregion
for (const conn of connections.values()) close(conn.fd);
close(listener.fd);
Deno.exit(0);
// #endregion

// #region drain
// #region exercise-drain
/** One pass over everything the signal might have been about: the listener
 * and every connection. Returns whether anything happened; the loop runs
 * passes until one comes back empty. */
function drainPass(): boolean {
  let progress = acceptAll();
  for (const conn of connections.values()) {
    progress = serve(conn) || progress;
  }
  return progress;
}
// #endregion
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
// #region exercise-serve
/** Moves whatever `conn` allows right now, without waiting: first the
 * pending echo, then read and echo until the socket is empty (EAGAIN), the
 * kernel won't take more output, or the per-visit budget is spent. */
function serve(conn: Connection): boolean {
  let progress = false;
  try {
    for (let i = 0; i < READS_PER_VISIT; i++) {
      if (conn.pending) {
        const sent = send(conn.fd, conn.pending) ?? 0;
        progress ||= sent > 0;
        conn.pending = sent < conn.pending.byteLength
          ? conn.pending.subarray(sent)
          : null;
        // Output full: a SIGIO will come when the peer has read some of it.
        if (conn.pending) break;
      }
      // The copy from the kernel's receive buffer into ours happens here.
      const n = recv(conn.fd, buffer);
      if (n === null) break; // EAGAIN: drained; the next data raises SIGIO
      progress = true;
      if (n === 0) { // FIN, and everything before it is echoed: done
        drop(conn);
        break;
      }
      const sent = send(conn.fd, buffer.subarray(0, n)) ?? 0;
      if (sent < n) conn.pending = buffer.slice(sent, n); // keep a copy
    }
  } catch (error) {
    // A reset or broken pipe ends this connection only, and is routine.
    if (!isPeerGone(error)) {
      console.error(`connection: ${(error as Error).message}`);
    }
    drop(conn);
    progress = true;
  }
  return progress;
}
// #endregion

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
