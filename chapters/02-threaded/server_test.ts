/**
 * The properties that define the threaded model: a thread per connection
 * (or a fixed pool of them), so that clients are served at the same time,
 * never more Workers than the cap, and a stop signal that ends every
 * Worker asleep in recv without hanging.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import {
  fdCount,
  startServer,
  threadSyscalls,
} from "@echo-lab/harness/process";
import {
  dialMany,
  readExactly,
  readToEnd,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";
import { WORKER_FDS } from "./fd_budget.ts";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("02-threaded");

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too), on every server task.
testModel(chapter, model);
const VARIANTS = ["server", "server:pool"];

Deno.test("02-threaded server: one more thread per live connection, and back down after", async () => {
  await using server = await startServer(chapter, "server");
  // One connection first: the runtime opens some files on first use.
  await withConnections(server.port, 1, (conns) => ping(conns[0], "warm-up"));
  const threads = await settle(() => workerThreads(server.pid));
  const fds = fdCount(server.pid);

  await withConnections(server.port, 5, async (conns) => {
    await Promise.all(conns.map((conn, i) => ping(conn, `client ${i}`)));
    assert.equal(workerThreads(server.pid), threads + 5, "Worker threads");
    const grown = fdCount(server.pid) - fds;
    assert.ok(
      grown <= 5 * (WORKER_FDS + 1),
      `5 connections took ${grown} descriptors: more than WORKER_FDS + 1 each`,
    );
  });
  assert.equal(
    await settle(() => workerThreads(server.pid), threads),
    threads,
    "Worker threads once the clients have gone",
  );
});

for (const task of VARIANTS) {
  Deno.test(`02-threaded ${task}: at --max-workers 3 a fourth client waits until one leaves`, async () => {
    await using server = await startServer(chapter, task, [
      "--max-workers",
      "3",
    ]);
    const before = workerThreads(server.pid);
    await withConnections(server.port, 4, async ([first, ...others]) => {
      const [second, third, fourth] = others;
      for (const conn of [first, second, third]) await ping(conn, "served");
      await writeAll(fourth, new TextEncoder().encode("4"));
      const echo = readExactly(fourth, 1);
      const early = await Promise.race([
        echo.then(() => "echoed"),
        sleep(500).then(() => "waiting"),
      ]);
      assert.equal(early, "waiting", "the fourth client was served at once");
      // The pool started its three up front; the other variant has made one
      // per client so far, and not a fourth.
      const cap = task === "server:pool" ? before : before + 3;
      assert.equal(workerThreads(server.pid), cap, "Worker threads at the cap");
      first.close();
      assert.deepEqual(
        await withTimeout(echo, 10_000, "the fourth echo"),
        new Uint8Array([0x34]),
      );
      assert.ok(workerThreads(server.pid) <= cap, "never above the cap");
    });
  });

  Deno.test(`02-threaded ${task}: 20 clients ping-pong at once, and SIGTERM ends them all`, async () => {
    await using server = await startServer(chapter, task, [
      "--max-workers",
      "20",
    ]);
    await withConnections(server.port, 20, async (conns) => {
      // Each client waits for every echo before its next message, and none
      // leaves early: a server serving one client at a time would answer the
      // first client only, and this would time out.
      await Promise.all(conns.map(async (conn, i) => {
        for (let round = 0; round < 5; round++) {
          await ping(conn, `client ${i} round ${round};`);
        }
      }));
      // Now 20 Workers sleep in recv, inside FFI. The stop must not hang.
      const started = performance.now();
      assert.equal(await withTimeout(server.stop("SIGTERM"), 5_000, "exit"), 0);
      assert.ok(performance.now() - started < 2_000, "SIGTERM took over 2 s");
      for (const conn of conns) {
        assert.equal((await readToEnd(conn)).byteLength, 0, "a clean FIN");
      }
    });
  });
}

/** Sends `text` and expects it back. */
async function ping(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  await writeAll(conn, bytes);
  assert.deepEqual(
    await withTimeout(readExactly(conn, bytes.byteLength), 10_000, "echo"),
    bytes,
  );
}

/** Runs `body` with `count` open connections, and closes them after (those
 * the body has not closed itself). */
async function withConnections(
  port: number,
  count: number,
  body: (conns: Deno.TcpConn[]) => Promise<void>,
): Promise<void> {
  const conns = await dialMany(port, count);
  try {
    await body(conns);
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* the body closed it */ }
    }
  }
}

/** Threads named after a Worker (`worker-N`): the connection Workers, plus
 * the stop watchdog's. */
function workerThreads(pid: number): number {
  return threadSyscalls(pid).filter(({ name }) => name.startsWith("worker-"))
    .length;
}

/** Polls `probe` every 50 ms until it returns `expected` (or, without one,
 * the same value twice) or 5 s pass; returns the last value. */
async function settle(probe: () => number, expected?: number) {
  let last = probe();
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    const now = probe();
    if (expected === undefined ? now === last : now === expected) return now;
    last = now;
  }
  return last;
}
