/**
 * Chapter 03: the multi-process echo server. A master process owns the
 * listening socket and a set of worker processes (worker.ts); each worker
 * serves one client at a time with chapter 01's blocking loop, and the
 * kernel shares the clients out among them. Two ways to hand work down:
 *
 * - prefork (the default): `--workers N` processes inherit the listening
 *   socket and each sleeps in accept(2) on it, like Apache's prefork MPM;
 * - `--per-connection`: the master accepts, and starts a worker for each
 *   client that inherits just that connection, like inetd or PostgreSQL's
 *   postmaster (at most `--workers` at once).
 *
 * Deno has no fork(): a worker is a fresh `deno run worker.ts` that inherits
 * the descriptors we left without FD_CLOEXEC (see spawn.ts).
 *
 * Run: deno task server [--workers N] [--per-connection] [--host H] [--port P]
 *
 * @module
 */
import { announceListening, parseCli } from "@echo-lab/shared/cli";
import { listenOrExit } from "@echo-lab/shared/listen";
import { accept4, close, shutdown } from "@echo-lab/shared/socket";
import { PollFds, POLLIN, pollOffThread } from "@echo-lab/shared/poll";
import {
  SHUT_RDWR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
} from "@echo-lab/shared/constants";
import { spawnDeno } from "./spawn.ts";

// What the master's loops and stop() share: the workers alive now, and
// whether a stop signal has come.
const workers = new Set<Deno.ChildProcess>();
let stopping = false;
// Set up at the bottom of this file: the listening socket, and SIGINT and
// SIGTERM wired to stop().
const { flags, perConnection, listener } = setUp();

// #region main
// #region exercise-main
if (perConnection) await spawnPerConnection();
else await Promise.all(Array.from({ length: flags.workers }, keepOneWorker));
// #endregion
// Awaiting a child's status is what reaps it (waitpid): no zombies.
await Promise.all([...workers].map((worker) => worker.status));
close(listener.fd);
Deno.exit(0);
// #endregion

// #region loop
// #region exercise-prefork
/** One place in the pool: start a worker, wait for it to exit, replace it. */
async function keepOneWorker(): Promise<void> {
  while (!stopping) {
    const started = Date.now();
    const worker = startWorker({ listener: listener.fd });
    if (worker) {
      const status = await worker.status;
      if (stopping) return;
      console.error(`worker ${worker.pid} ${describe(status)}; replacing it`);
    }
    // A worker that cannot even start would be restarted in a hot loop.
    if (Date.now() - started < 1_000) await sleep(1_000);
  }
}
// #endregion
// #endregion

// #region per-connection
/** Accept a client, start a worker that inherits it, repeat. */
async function spawnPerConnection(): Promise<void> {
  const waiting = new PollFds(1);
  waiting.set(0, listener.fd, POLLIN);
  while (!stopping) {
    // At the limit, new clients wait in the listen backlog for a worker.
    if (workers.size >= flags.workers) {
      await Promise.race([...workers].map((worker) => worker.status));
      continue;
    }
    // Sleep until a client is waiting, on a helper thread: this thread's
    // event loop must stay free to reap workers and to hear SIGTERM.
    await pollOffThread(waiting, 1, -1);
    if (stopping) break;
    let conn: number | null;
    try {
      // No SOCK_CLOEXEC: this descriptor is the one the worker inherits.
      conn = accept4(listener.fd, 0);
    } catch (error) {
      // EMFILE and friends: the client stays queued; retry after a pause.
      console.error(`accept4: ${(error as Error).message}`);
      await sleep(100);
      continue;
    }
    if (conn === null) continue; // the client left before we got to it
    const worker = startWorker({ connection: conn });
    // The worker has its own copy now. Ours must be gone before the next
    // spawn, or that worker would inherit this client as well.
    close(conn);
    if (!worker) await sleep(100);
  }
}
// #endregion

// #region stop
// The master never blocks its thread, so signal listeners run promptly here,
// and a flag does what the watchdog thread of the blocking chapters
// (shared/stop_signal.ts) does for a thread asleep in a syscall.
// Workers have none: SIGTERM ends them at once, and the kernel closes their
// sockets. Only the master decides when: workers run in a session of their
// own (see startWorker), out of reach of the Ctrl-C a terminal sends to its
// foreground process group. Shutting the listener down refuses new clients
// and wakes the per-connection master's wait for one.
function stop() {
  if (stopping) return; // a second signal: already on it
  stopping = true;
  for (const worker of workers) {
    try {
      worker.kill("SIGTERM");
    } catch { /* it has just exited */ }
  }
  shutdown(listener.fd, SHUT_RDWR);
}
// #endregion

/** Starts a worker and tracks it until it exits; null if it can't start.
 * Each worker leads a session of its own (setsid), so a Ctrl-C at the
 * terminal reaches the master alone. Were the workers in the terminal's
 * process group, SIGINT would kill them too, and the master, not yet told
 * to stop, would report each death and start a replacement. */
function startWorker(fds: Record<string, number>): Deno.ChildProcess | null {
  try {
    const worker = spawnDeno("worker.ts", fds, { ownSession: true });
    workers.add(worker);
    worker.status.then(() => workers.delete(worker));
    return worker;
  } catch (error) {
    console.error(`spawn: ${(error as Error).message}`);
    return null;
  }
}

function describe(status: Deno.CommandStatus): string {
  return status.signal
    ? `killed by ${status.signal}`
    : `exited with code ${status.code}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses the command line, listens, and wires SIGINT/SIGTERM to stop(); on
 * a bad argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address, flags } = parseCli(Deno.args, {
    usage: "deno task server",
    summary: "Echo server on worker processes: a pre-forked pool, or one each.",
    flags: {
      workers: {
        type: "integer",
        description: "worker processes (per connection: most at once)",
        default: 4,
        min: 1,
        max: 64,
      },
      "per-connection": {
        type: "boolean",
        description: "start a worker per client instead of a fixed pool",
      },
    },
  });
  const perConnection = flags["per-connection"];

  // #region listen
  // Prefork hands the listening socket itself down to the workers, so it must
  // survive exec: no SOCK_CLOEXEC. Per connection, the listener stays the
  // master's (CLOEXEC), and non-blocking: the master accepts only after poll
  // has said a client is waiting, and must not get stuck if that client left.
  const listener = listenOrExit(address, {
    flags: perConnection ? SOCK_CLOEXEC | SOCK_NONBLOCK : 0,
  });
  // #endregion

  // #region signals
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // Ready only now: until its listener is in place, a stop signal ends the
  // process with its default action (exit 130 or 143), not through stop().
  announceListening(listener.address);
  // #endregion
  return { flags, perConnection, listener };
}
