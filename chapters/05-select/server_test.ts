/**
 * What makes select and poll what they are: one thread serves many clients
 * and sleeps while they are quiet; select(2) stops at descriptor 1,024,
 * poll(2) does not.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { startServer, threadCount } from "@echo-lab/harness/process";
import {
  dialMany,
  expectEcho,
  expectOwnEcho,
  expectOwnEchoes,
  sleep,
  withTimeout,
} from "@echo-lab/harness/net";
import { raiseNoFileLimit } from "@echo-lab/shared/rlimit";
import { FD_SETSIZE } from "./select.ts";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("05-select");
/** How many concurrent clients each variant is shown to serve. */
const SERVES = { server: 500, "server:poll": 2_000 };

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too), on select and on poll: asleep, handed every socket, idle CPU near 0.
testModel(chapter, model);

for (const [task, count] of Object.entries(SERVES)) {
  Deno.test(`05-select ${task}: one thread serves ${count} concurrent connections, each its own echo`, async () => {
    const limit = raiseNoFileLimit(); // this process holds the client ends
    assert.ok(limit > count + 100, `RLIMIT_NOFILE hard limit ${limit}`);
    await using server = await startServer(chapter, task);
    // Deno starts some threads of its own lazily (the watchdog Worker's,
    // tokio's file readers): let it settle before counting.
    await expectEcho(server.port, "warm up");
    await sleep(300);
    const threads = threadCount(server.pid);
    const conns = await dialMany(server.port, count);
    try {
      await expectOwnEchoes(server, conns, 30_000);
      assert.equal(threadCount(server.pid), threads, "no thread per client");
      assert.doesNotMatch(server.stderr(), /refusing/);
    } finally {
      conns.forEach((conn) => conn.close());
    }
  });
}

Deno.test("05-select server: refuses descriptors at or above FD_SETSIZE with a log line, and serves the rest", async () => {
  raiseNoFileLimit();
  const count = FD_SETSIZE + 100;
  await using server = await startServer(chapter, "server");
  const conns = await dialMany(server.port, count);
  try {
    // A refused client is accepted and closed at once: its echo never comes.
    const results = await withTimeout(
      Promise.allSettled(conns.map(expectOwnEcho)),
      30_000,
      `${count} echoes or refusals`,
    );
    const served = results.filter((r) => r.status === "fulfilled").length;
    const refusals =
      server.stderr().match(/^refusing a connection: fd \d+/gm) ??
        [];
    assert.ok(refusals.length > 0, "some descriptors reached FD_SETSIZE");
    assert.equal(served + refusals.length, count, "every other client served");
    assert.ok(served > FD_SETSIZE - 100, `only ${served} served`);
    for (const line of refusals) {
      assert.ok(Number(line.split("fd ")[1]) >= FD_SETSIZE, line);
    }
    // Descriptor numbers are reused lowest first: once some clients leave,
    // a newcomer gets a number select can watch, and is served.
    conns.splice(0, 10).forEach((conn) => conn.close());
    await sleep(200);
    await expectEcho(server.port, "a free number below 1024 again");
  } finally {
    conns.forEach((conn) => conn.close());
  }
});
