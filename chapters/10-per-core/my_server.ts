// Exercise 10, made from server.ts by `deno task exercise:stubs`.
// `deno task exercise:reset 10` puts this file back as it was.
/**
 * Chapter 10: a loop per core. Chapter 06's epoll loop, run N times at once:
 * N Workers (threads), each with its own epoll instance, each sleeping in its
 * own `epoll_wait`, each serving the connections it accepted itself. The
 * loops share nothing, so they need no locks, and the kernel schedules them
 * on different cores.
 *
 * How connections reach the loops is the whole question. By default each
 * loop has a listening socket of its own, all bound to the same port with
 * SO_REUSEPORT, and the kernel picks a listener for each new connection by a
 * hash of its addresses. With `--shared`, one listener is registered in every
 * loop's epoll with EPOLLEXCLUSIVE, so that a new connection wakes one loop
 * instead of all of them; `--no-exclusive` drops that flag to show the
 * thundering herd it prevents.
 *
 * Run: deno task server [--host H] [--port P] [--loops N] [--stats]
 *      deno task server:shared
 *
 * @module
 */
import {
  announceListening,
  cannotListen,
  fatal,
  parseCli,
} from "@echo-lab/shared/cli";
import {
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOL_SOCKET,
} from "@echo-lab/shared/constants";
import { listenOrExit } from "@echo-lab/shared/listen";
import {
  bind,
  close,
  type Listener,
  setsockoptInt,
  socket,
} from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";
import type { SocketAddress } from "@echo-lab/shared/sockaddr";
import type { LoopJob, LoopReport } from "./loop.ts";

const { flags, listeners, stop } = setUp();

// #region loops
// The descriptor table belongs to the process, so a listener opened here is
// the same socket in every thread: what makes it "loop i's listener" is that
// only loop i's epoll watches it and only loop i accepts from it.
const loops: Loop[] = [];
// TODO(loops): one loop per core (`--loops` of them), each started with
// `startLoop` on a Worker of its own, with its id, its own listener's fd (with
// `--shared`, the one listener for all) and whether to ask for
// `EPOLLEXCLUSIVE`.
// I AM NOT DONE
// (delete the line above to have your code checked by
// `deno task exercise 10`; stuck? `deno task hint 10`)
await Promise.all(loops.map((loop) => loop.ready));
announceListening(listeners[0].address);
// This thread has nothing left to do but wait for the loops to end; it
// sleeps in Deno's own event loop, free, while the Workers serve.
const reports = await Promise.all(loops.map((loop) => loop.exited));
// #endregion

// #region shutdown
for (const { fd } of listeners) {
  stop.release(fd);
  close(fd);
}
stop.close();
if (flags.stats) reports.forEach(printReport);
Deno.exit(0);
// #endregion

/** Parses the command line, opens the listeners, and starts the stop
 * watchdog; on a bad argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address, flags } = parseCli(Deno.args, {
    usage: "deno task server",
    summary: "Echo server with one epoll loop per core, on Worker threads.",
    flags: {
      loops: {
        type: "integer",
        description: "event loops, one thread each (default: one per core)",
        default: navigator.hardwareConcurrency,
        min: 1,
        max: 64,
      },
      shared: {
        type: "boolean",
        description: "one listener shared by every loop, with EPOLLEXCLUSIVE",
      },
      "no-exclusive": {
        type: "boolean",
        description: "with --shared, no EPOLLEXCLUSIVE: every loop wakes",
      },
      stats: {
        type: "boolean",
        description: "print each loop's thread id, and at exit its counters",
      },
    },
  });
  if (flags["no-exclusive"] && !flags.shared) {
    fatal("--no-exclusive only makes sense with --shared");
  }

  // #region listen
  // One listener per loop, all on the same port (the first takes the port the
  // kernel picks for --port 0, the rest join it), or a single one for all.
  const listeners = flags.shared
    ? [listen(address)]
    : reusePortGroup(address, flags);
  // SIGINT/SIGTERM: the watchdog thread shuts every listener down. Each loop
  // sees its listener hang up (EPOLLHUP) and winds itself down.
  const stop = watchStopSignals();
  listeners.forEach(({ fd }) => stop.guard(fd));
  // #endregion
  return { flags, listeners, stop };
}

// #region helpers
/** A non-blocking listener on `at`: the loops accept until EAGAIN. */
function listen(at: SocketAddress, reusePort = false): Listener {
  return listenOrExit(at, {
    flags: SOCK_NONBLOCK | SOCK_CLOEXEC,
    raiseFdLimit: true,
    reusePort,
  });
}

/** `--loops` listeners bound with SO_REUSEPORT to `address`. */
function reusePortGroup(
  address: SocketAddress,
  flags: { loops: number },
): Listener[] {
  if (address.port !== 0) refuseIfTaken(address);
  const first = listen(address, true);
  const group = [first];
  // TODO(listeners): in `reusePortGroup()`, after the first listener: the
  // others, up to `--loops`, each bound with `SO_REUSEPORT` to the port the
  // first one got.
  return group;
}

/** Exits, naming the port, if anything listens on `at`. SO_REUSEPORT
 * would not refuse a second copy of this server (same user, same option): it
 * would join the first one's group and quietly take half its connections.
 * A bind without the option conflicts with any listener on the port, group
 * or not. It is released at once, so the port is unguarded again for the
 * microseconds until our own first bind. */
function refuseIfTaken(at: SocketAddress): void {
  let fd = -1;
  try {
    fd = socket(at.family, SOCK_CLOEXEC);
    // Like every listener: sockets of closed connections (TIME_WAIT) on the
    // port are no reason to refuse.
    setsockoptInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    bind(fd, at);
  } catch (error) {
    cannotListen(error, at);
  } finally {
    if (fd >= 0) close(fd);
  }
}

/** A loop running on its Worker: see `startLoop`. */
interface Loop {
  ready: Promise<void>;
  exited: Promise<LoopReport>;
}

/** Starts loop `job.id` on a Worker. `ready` settles once its listener is in
 * its epoll (with `--stats`, we print its thread id then); `exited` with its
 * counters, once it has closed everything and
 * is about to end its thread by itself. (Never terminate() a Worker: one
 * inside epoll_wait would not return to be terminated.) */
function startLoop(job: LoopJob): Loop {
  const worker = new Worker(new URL("./loop.ts", import.meta.url), {
    type: "module",
  });
  const ready = Promise.withResolvers<void>();
  const exited = Promise.withResolvers<LoopReport>();
  worker.onmessage = (
    { data }: MessageEvent<{ ready: number } | LoopReport>,
  ) => {
    if (!("ready" in data)) return exited.resolve(data);
    if (flags.stats) console.error(`loop ${job.id}: thread ${data.ready}`);
    ready.resolve();
  };
  // A loop that dies takes the server with it: its listener would keep
  // queuing connections nobody accepts.
  worker.onerror = (event) => {
    event.preventDefault();
    fatal(`loop ${job.id}: ${event.message}`);
  };
  worker.postMessage(job);
  return { ready: ready.promise, exited: exited.promise };
}

function printReport({ id, accepted, wakeups, emptyWakeups }: LoopReport) {
  console.error(
    `loop ${id}: accepted ${accepted}, listener wake-ups ${wakeups}, ` +
      `empty (EAGAIN) ${emptyWakeups}`,
  );
}
// #endregion
