/**
 * What makes busy polling busy polling: one thread serves many clients side
 * by side, and it never sleeps, not even when every client is silent.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { startServer, threadCount, usageOver } from "@echo-lab/harness/process";
import {
  dialMany,
  expectEcho,
  expectOwnEcho,
  expectOwnEchoes,
  sleep,
} from "@echo-lab/harness/net";

const chapter = chapterNamed("04-nonblocking");

Deno.test("04-nonblocking: with every client idle, the loop never sleeps and burns CPU", async () => {
  await using server = await startServer(chapter);
  const conns = await dialMany(server.port, 10);
  try {
    await Promise.all(conns.map(expectOwnEcho)); // all accepted, now silent
    await sleep(200);
    const { cpu, runnable, wall } = await usageOver(server.pid, 1_000);
    // Runnable (on a CPU, or queued for one) the whole second: never asleep
    // in a system call. That holds however many other processes compete for
    // the two CPUs. How much of a core the loop actually gets does not (on a
    // quiet machine, all of it; beside five other busy processes, a third),
    // so that bound is loose: a server asleep in a wait gets about 0.
    assert.ok(
      runnable >= 0.9 * wall,
      `runnable ${runnable.toFixed(2)} s of ${wall.toFixed(2)} s`,
    );
    assert.ok(cpu >= 0.1 * wall, `${cpu} s of CPU in ${wall.toFixed(2)} s`);
  } finally {
    conns.forEach((conn) => conn.close());
  }
});

Deno.test("04-nonblocking: one thread serves 200 concurrent connections, each its own echo", async () => {
  await using server = await startServer(chapter);
  // Deno starts some threads of its own lazily (the watchdog Worker's,
  // tokio's file readers): let it settle before counting.
  await expectEcho(server.port, "warm up");
  await sleep(300);
  const threads = threadCount(server.pid);
  const conns = await dialMany(server.port, 200);
  try {
    await expectOwnEchoes(server, conns, 20_000);
    assert.equal(threadCount(server.pid), threads, "no thread per client");
  } finally {
    conns.forEach((conn) => conn.close());
  }
});
