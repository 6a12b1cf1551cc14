/**
 * What makes busy polling busy polling: one thread serves many clients side
 * by side, and it never sleeps, not even when every client is silent.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { startServer, threadCount } from "@echo-lab/harness/process";
import {
  dialMany,
  expectEcho,
  expectOwnEchoes,
  sleep,
} from "@echo-lab/harness/net";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("04-nonblocking");

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too): never sleeps, one thread, every socket non-blocking.
testModel(chapter, model);

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
