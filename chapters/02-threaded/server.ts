/**
 * Chapter 02: the threaded echo server. The main thread sleeps in a blocking
 * `accept` and hands each connection to a Worker, Deno's thread, which runs
 * chapter 01's blocking echo loop on it. A client asleep in one Worker's
 * `recv` no longer holds up anyone else: the kernel schedules threads, not
 * connections.
 *
 * Two variants, one loop. By default a new Worker per connection, which
 * exits when its client leaves. With `--pool`, a fixed set of Workers started
 * up front (pre-threaded), each taking connection after connection.
 * `--max-workers` caps both: at the cap, the server stops accepting and new
 * clients wait in the kernel's listen backlog until a Worker is free.
 *
 * Run: deno task server [--host H] [--port P] [--max-workers N]
 *      deno task server:pool
 *
 * @module
 */
import { announceListening, fatal, parseCli } from "@echo-lab/shared/cli";
import { listenOrExit } from "@echo-lab/shared/listen";
import { accept4, close } from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";
import { ConnectionTable } from "./connections.ts";
import { affordableWorkers } from "./fd_budget.ts";
import type { Job } from "./worker.ts";

// Each settles when a Worker exits: spawn() adds them, and the stop path
// awaits them all. Declared before set-up, which spawns the pool's Workers.
const running = new Set<Promise<void>>();
// Set up at the bottom of this file: the listening socket, the watchdog that
// turns SIGINT/SIGTERM into a wake-up, one slot per Worker that may be alive
// at once and, with --pool, the Workers themselves.
const { listener, stop, table, pool } = await setUp();

// #region loop
// #region exercise-loop
while (!stop.requested) {
  if (table.live === table.capacity) {
    // At the cap we do not accept. The kernel still completes handshakes
    // into the listen backlog, where new clients wait. Sleep until a Worker
    // frees a slot, looking up every 100 ms in case a stop signal came.
    table.waitForRoom(100);
    continue;
  }
  let fd: number;
  try {
    // This thread sleeps here until a client arrives. The Workers do not:
    // each sleeps in its own connection's recv, independently.
    fd = accept4(listener.fd)!;
  } catch (error) {
    if (stop.requested) break; // the watchdog shut the listener down
    console.error(`accept: ${(error as Error).message}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // see chapter 01
    continue;
  }
  const slot = table.claim(fd)!; // there was room: we looked before accepting
  const job: Job = { table: table.buffer, slot, fd, last: pool === null };
  // A descriptor is a number valid across the whole process: posting it to
  // another thread hands over the connection itself.
  (pool ? pool[slot] : spawn()).postMessage(job);
}
// #endregion
// #endregion

// #region shutdown
// The stop signal woke our accept. Wake every Worker the same way: shut its
// connection down, so its recv returns 0 (or its send fails with EPIPE) and
// it finishes and exits by itself. terminate() would not do: it returns at
// once but cannot interrupt a synchronous FFI call, so the Worker's thread
// would stay in recv, holding its connection (lab/terminate.ts).
table.shutdownAll();
pool?.forEach((worker) => worker.postMessage("exit"));
await Promise.all(running);
stop.release(listener.fd);
close(listener.fd);
stop.close();
Deno.exit(0);
// #endregion

/** Parses the command line, listens, starts the stop watchdog and, with
 * --pool, the Workers; on a bad argument or a failed call, one line on
 * stderr and exit. */
async function setUp() {
  const { address, flags } = parseCli(Deno.args, {
    usage: "deno task server",
    summary:
      "Threaded echo server: a Worker (thread) per connection, or a pool.",
    flags: {
      pool: {
        type: "boolean",
        description: "start every Worker up front and reuse them",
      },
      "max-workers": {
        type: "integer",
        description: "Workers alive at most; then clients wait in the backlog",
        default: 256,
        min: 1,
        // Each Worker maps ~33 memory regions; Linux allows a process 65,530
        // by default (vm.max_map_count), so ~1,900 Workers would abort V8.
        max: 1_000,
      },
    },
  });

  // #region listen
  const listener = listenOrExit(address);
  // The main thread will sleep in accept, where no signal listener can run:
  // the watchdog thread shuts the listener down on SIGINT/SIGTERM to wake it.
  const stop = watchStopSignals();
  stop.guard(listener.fd);
  // One slot per Worker that may be alive at once.
  const table = new ConnectionTable(workerCap(flags["max-workers"]));
  const pool = flags.pool ? await startPool(table.capacity) : null;
  announceListening(listener.address);
  // #endregion
  return { listener, stop, table, pool };
}

// #region spawn
/** Starts a Worker, and keeps a promise in `running` that settles when it
 * says "exited" (its thread is then about to end). */
function spawn(): Worker {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), {
    type: "module",
  });
  const { promise: exited, resolve } = Promise.withResolvers<void>();
  worker.onmessage = ({ data }) => {
    if (data === "exited") resolve();
  };
  running.add(exited);
  exited.then(() => running.delete(exited));
  return worker;
}

/** The pre-threaded variant: `size` Workers, each loaded and waiting (its
 * first message is "ready") before we announce that we are listening. */
async function startPool(size: number): Promise<Worker[]> {
  const workers = Array.from({ length: size }, spawn);
  await Promise.all(
    workers.map((worker) =>
      new Promise((ready) =>
        worker.addEventListener("message", ready, { once: true })
      )
    ),
  );
  return workers;
}
// #endregion

// #region cap
/** `--max-workers`, lowered if the open-file limit cannot afford that many:
 * a Worker that finds no free descriptor crashes the whole process. */
function workerCap(wanted: number): number {
  const affordable = affordableWorkers();
  if (affordable === 0) {
    fatal("the open-file limit leaves no room for a single Worker");
  }
  if (affordable < wanted) {
    console.error(
      `note: the open-file limit leaves room for ${affordable} Workers, ` +
        `not ${wanted}`,
    );
  }
  return Math.min(wanted, affordable);
}
// #endregion
