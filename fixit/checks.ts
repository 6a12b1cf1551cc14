/**
 * The checks that show a fix-it's symptom, each named in its `fixit.json`.
 * A check takes a running server and throws an error that says, in numbers,
 * what a user would have seen ("sent 16384 KiB; 192 KiB came back, then
 * nothing for 3 s"). Each passes on the chapter's own server and fails on
 * the bug.
 *
 * @module
 */
import {
  type RunningServer,
  schedSeconds,
  usageOver,
} from "@echo-lab/harness/process";
import {
  dial,
  dialMany,
  expectEcho,
  expectOwnEcho,
  randomBytes,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";

/** One symptom check, and how its server must be started. */
export interface SymptomCheck {
  /** What a pass means, for the report. */
  promise: string;
  /** A command to run the server under (e.g. a lower open-file limit). */
  wrapper?: string[];
  run(server: RunningServer): Promise<void>;
}

/** The open-file limit the `emfile` check runs the server under. */
const NOFILE = 64;
/** No echo byte for this long counts as "stopped". */
const STALL_MS = 3_000;

/** Streams `size` bytes through the server on `conn`, and starts reading
 * the echo only once writing has stalled for 200 ms: by then every buffer
 * on the way is full, so the server's sends have found a full socket (a
 * short send, EAGAIN, EPOLLOUT) however large the machine's buffers are.
 * Throws when the echo stops or differs; leaves `conn` open. */
async function streamEcho(conn: Deno.Conn, size: number): Promise<void> {
  const payload = randomBytes(size, 25);
  let lastProgress = performance.now(), finished = false;
  const writing = (async () => {
    for (let at = 0; at < size;) {
      at += await conn.write(payload.subarray(at, at + 65_521));
      lastProgress = performance.now();
    }
  })().catch(() => {}).finally(() => finished = true);
  while (!finished && performance.now() - lastProgress < 200) await sleep(25);
  const echoed = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = await withTimeout(conn.read(echoed.subarray(got)), STALL_MS, "")
      .catch(() => undefined);
    if (n === undefined || n === null) {
      throw new Error(
        `sent ${size >> 10} KiB; ${got >> 10} KiB came back, then ` +
          (n === null ? "the server closed the connection" : "nothing for 3 s"),
      );
    }
    for (let i = got; i < got + n; i++) {
      if (echoed[i] !== payload[i]) {
        throw new Error(
          `sent ${size >> 10} KiB; the echo differs from byte ${i} on: ` +
            `bytes were lost or reordered`,
        );
      }
    }
    got += n;
  }
  await writing;
}

/** Seconds the server's main thread was on a CPU or waiting for one over
 * the next second, per second of wall clock: near 1 for a thread that never
 * sleeps, however busy the machine is (see `schedSeconds`). */
async function busyFraction(server: RunningServer): Promise<number> {
  schedSeconds(server.pid);
  const { runnable, wall } = await usageOver(server.pid, 1_000);
  return runnable / wall;
}

export const CHECKS: Record<string, SymptomCheck> = {
  "stream": {
    promise:
      "16 MiB echoed in full and in order through a reader that falls behind",
    async run({ port }) {
      using conn = await dial(port);
      await streamEcho(conn, 16 << 20);
    },
  },

  "burst": {
    promise: "20 clients that queue up while the loop is busy all get an echo",
    async run(server) {
      // A loop busy elsewhere, made certain: the server is stopped while
      // the clients connect (the kernel completes their handshakes into
      // the listen queue all the same), and resumed with all 20 queued.
      Deno.kill(server.pid, "SIGSTOP");
      let conns: Deno.TcpConn[] = [];
      try {
        conns = await dialMany(server.port, 20);
      } finally {
        Deno.kill(server.pid, "SIGCONT");
      }
      try {
        const answered = await Promise.all(
          conns.map((conn, i) =>
            withTimeout(expectOwnEcho(conn, i), 3_000, "").then(
              () => 1,
              () => 0,
            )
          ),
        );
        const missing = conns.length - answered.reduce((a, b) => a + b, 0);
        if (missing > 0) {
          throw new Error(
            `20 clients connected while the server was busy; ${missing} ` +
              "of them got no echo in 3 s",
          );
        }
      } finally {
        conns.forEach((conn) => conn.close());
      }
    },
  },

  "idle-after-backpressure": {
    promise: "idle after a backpressured echo: the loop sleeps",
    async run(server) {
      // The client stays connected, idle, once its echo is complete.
      using conn = await dial(server.port);
      await streamEcho(conn, 16 << 20);
      await sleep(200);
      const busy = await busyFraction(server);
      if (busy > 0.5) {
        throw new Error(
          `after the echo, with its client connected and idle, the main ` +
            `thread was running ${
              Math.round(busy * 100)
            }% of a second: it never sleeps`,
        );
      }
    },
  },

  "emfile": {
    promise: `out of descriptors (limit ${NOFILE}): no spinning, and it ` +
      "recovers",
    wrapper: ["prlimit", `--nofile=${NOFILE}:${NOFILE}`],
    async run(server) {
      const conns: Deno.TcpConn[] = [];
      try {
        for (let i = 0; i < NOFILE + 40; i++) {
          conns.push(await dial(server.port));
        }
        await sleep(300);
        const busy = await busyFraction(server);
        if (busy > 0.5) {
          throw new Error(
            `with ${conns.length} clients and a limit of ${NOFILE} open ` +
              `files, the main thread was running ${
                Math.round(busy * 100)
              }% of a second`,
          );
        }
      } finally {
        conns.forEach((conn) => conn.close());
      }
      await sleep(300);
      await expectEcho(server.port, "after the limit");
    },
  },

  "neighbour": {
    promise: "a client that never reads holds up nobody else",
    async run({ port }) {
      using flood = await dial(port);
      const writing = writeAll(flood, randomBytes(8 << 20, 9), 256 * 1024)
        .catch(() => {});
      await sleep(500);
      try {
        await withTimeout(expectEcho(port, "next door"), 3_000, "an echo");
      } catch {
        throw new Error(
          "one client sent 8 MiB without reading its echo; a second " +
            "client then got no echo in 3 s",
        );
      } finally {
        flood.close();
        await writing;
      }
    },
  },
};
