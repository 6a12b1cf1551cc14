/**
 * Turning SIGINT/SIGTERM into a wake-up for a thread asleep in a syscall.
 *
 * The problem: a synchronous FFI call (a blocking `accept`, `recv`, `poll`,
 * `epoll_wait`) keeps the JavaScript thread inside C until it returns, so a
 * `Deno.addSignalListener` callback on that thread cannot run, and the server
 * would ignore Ctrl-C for as long as no client shows up.
 *
 * The fix: a small watchdog Worker, a second thread whose event loop is free,
 * receives the signal, raises a flag in shared memory, and calls
 * `shutdown(fd, SHUT_RDWR)` on every descriptor the server has guarded. On
 * Linux that wakes every sleeper on those sockets: `accept` fails with
 * EINVAL, `recv` returns 0, and `poll`/`select`/`epoll_wait` report the
 * socket as ready (POLLHUP). The woken code checks {@linkcode StopSignal.requested}
 * and winds down.
 *
 * {@linkcode watchStopSignals} returns only once the watchdog is listening.
 * Until then a SIGTERM would kill the process with its default action (exit
 * 143, not 0), and a server that filled its descriptor table first would
 * leave the watchdog none to listen with (Deno panics: we saw it at
 * RLIMIT_NOFILE 64, 1 start in 15).
 *
 * @example
 * ```ts ignore
 * import { watchStopSignals } from "./stop_signal.ts";
 * const stop = watchStopSignals();
 * stop.guard(listenerFd);        // shut it down when SIGINT/SIGTERM arrives
 * while (!stop.requested) { ... } // blocking calls wake up on the signal
 * stop.close();
 * ```
 *
 * @module
 */
import { watchdog } from "./stop_signal_worker.ts";

/** The watchdog's program as a module of its own: its source text, in a
 * blob: URL, which a Worker loads without read permission on any file. */
const WATCHDOG_URL = URL.createObjectURL(
  new Blob([`(${watchdog})(self);`], { type: "text/javascript" }),
);

/** Handle returned by {@linkcode watchStopSignals}. */
export interface StopSignal {
  /** True once SIGINT or SIGTERM has arrived. */
  readonly requested: boolean;
  /** Shut `fd` down (SHUT_RDWR) when a stop signal arrives, or at once if one
   * already has. */
  guard(fd: number): void;
  /** Stop guarding `fd` (call before closing it: fd numbers are reused). */
  release(fd: number): void;
  /** Stops the watchdog thread. It is idle in its event loop, never inside a
   * synchronous call, so terminate() ends it (terminate() cannot interrupt a
   * synchronous FFI call; see chapters/02-threaded/lab/terminate.ts).
   * From then on SIGINT and SIGTERM are ignored until the process exits: see
   * below. */
  close(): void;
}

/** Slot 0 of the shared memory, the watchdog's state: STARTING, then 1
 * (watching: set by the worker once its listeners are in place), then
 * STOPPING once a signal has come. */
const STARTING = 0, STOPPING = 2;
/** The signals that ask for a stop: Ctrl-C, and `kill`'s default. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;
/** How long a watchdog may take to start before the server gives up. */
const START_TIMEOUT_MS = 10_000;

/** Starts the watchdog thread and waits until its signal listeners are in
 * place. `capacity` bounds how many fds can be guarded at once. */
export function watchStopSignals(capacity = 4096): StopSignal {
  // Slot 0: the state (the watchdog uses the same three numbers).
  // Slots 1..capacity: guarded fds, -1 when free.
  const shared = new Int32Array(new SharedArrayBuffer(4 * (capacity + 1)));
  shared.fill(-1, 1);
  const worker = new Worker(WATCHDOG_URL, { type: "module" });
  worker.postMessage(shared);
  // Sleep (a futex wait: this thread's event loop is not needed) until the
  // worker has its listeners and says so.
  if (Atomics.wait(shared, 0, STARTING, START_TIMEOUT_MS) === "timed-out") {
    worker.terminate();
    throw new Error("stop signal: the watchdog thread did not start");
  }
  const slots = new Map<number, number>();
  let free = 1;
  return {
    get requested() {
      return Atomics.load(shared, 0) === STOPPING;
    },
    guard(fd) {
      while (free <= capacity && Atomics.load(shared, free) !== -1) free++;
      if (free > capacity) throw new RangeError("stop signal: too many fds");
      Atomics.store(shared, free, fd);
      slots.set(fd, free);
      // The signal may have come before the fd was registered.
      if (this.requested) worker.postMessage("sweep");
    },
    release(fd) {
      const slot = slots.get(fd);
      if (slot === undefined) return;
      Atomics.store(shared, slot, -1);
      slots.delete(fd);
      free = Math.min(free, slot);
    },
    close() {
      // Deno gives a signal back its default action, which ends the process
      // (exit 130 or 143), once the last listener for it is gone, and
      // terminating the watchdog removes its listeners. But a Ctrl-C often
      // arrives twice, from the terminal to the whole process group and again
      // from `deno task`, which forwards it to us: the second copy must not
      // cut the shutdown short. So this thread keeps listening, and ignores.
      // (A signal listener does not keep the process alive by itself.)
      for (const signal of STOP_SIGNALS) {
        Deno.addSignalListener(signal, ignore);
      }
      worker.terminate();
    },
  };
}

function ignore(): void {}
