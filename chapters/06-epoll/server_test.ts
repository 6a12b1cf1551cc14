/**
 * What makes epoll epoll: one thread, thousands of connections, and sleep
 * when nothing happens. Each test runs both server tasks: level-triggered
 * (`server`) and edge-triggered (`server:edge`).
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { startServer, threadCount, usageOver } from "@echo-lab/harness/process";
import {
  dial,
  dialMany,
  equalBytes,
  expectEcho,
  expectOwnEchoes,
  randomBytes,
  readExactly,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";
import { raiseNoFileLimit } from "@echo-lab/shared/rlimit";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("06-epoll");

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too), on every server task.
testModel(chapter, model);
const CONNECTIONS = 5_000;
const TASKS = ["server", "server:edge"];

for (const task of TASKS) {
  Deno.test(`06-epoll ${task}: one thread serves ${CONNECTIONS} concurrent connections, every echo verified, then sleeps`, async (t) => {
    // This process holds the client end of every connection.
    const limit = raiseNoFileLimit();
    assert.ok(limit > CONNECTIONS + 100, `RLIMIT_NOFILE hard limit ${limit}`);
    await using server = await startServer(chapter, task);
    // Let the runtime finish starting its own threads (the stop-signal
    // watchdog among them) before counting.
    await expectEcho(server.port, "warm up");
    await sleep(500);
    const threads = threadCount(server.pid);
    const sockets = socketCount(server.pid);
    const conns: Deno.TcpConn[] = [];
    // Each step needs the one before it: stop at the first that fails.
    const steps: Record<string, () => Promise<void>> = {
      [`${CONNECTIONS} connections open at once`]: async () => {
        conns.push(...await dialMany(server.port, CONNECTIONS));
        // The server holds them all, one socket each.
        let held = 0;
        for (let i = 0; i < 100 && held < CONNECTIONS; i++) {
          await sleep(100);
          held = socketCount(server.pid) - sockets;
        }
        assert.ok(held >= CONNECTIONS, `the server holds ${held} sockets`);
      },
      "each gets its own echo back, all in flight at once": async () => {
        await expectOwnEchoes(server, conns, 30_000);
        assert.equal(threadCount(server.pid), threads, "thread count");
      },
      "after backpressure on some, idle CPU is near zero": async () => {
        // A few connections fill their buffers both ways, then drain: if
        // EPOLLOUT stayed in the interest set once the backlog cleared, a
        // level-triggered loop would now spin.
        const floods = conns.slice(0, 4).map(async (conn, i) => {
          const flood = randomBytes(4 * 1024 * 1024, i + 1);
          const [echoed] = await Promise.all([
            // Not reading at first: the server has to hold back.
            sleep(200).then(() => readExactly(conn, flood.byteLength)),
            writeAll(conn, flood, 256 * 1024),
          ]);
          assert.ok(equalBytes(echoed, flood), `flood ${i} echo differs`);
        });
        await withTimeout(Promise.all(floods), 20_000, "the floods' echoes");
        await sleep(200);
        const { cpu } = await usageOver(server.pid, 2_000);
        assert.ok(cpu <= 0.1, `${cpu} s of CPU in 2 s, every client idle`);
      },
      "SIGTERM with all of them connected: exit 0 within 2 s": async () => {
        const started = performance.now();
        const code = await withTimeout(server.stop("SIGTERM"), 5_000, "exit");
        assert.equal(code, 0);
        const took = performance.now() - started;
        assert.ok(took < 2_000, `took ${took} ms`);
      },
    };
    try {
      for (const [name, step] of Object.entries(steps)) {
        if (!await t.step(name, step)) break;
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  });

  Deno.test(`06-epoll ${task}: one write bigger than the read buffer, then silence, comes back whole`, async () => {
    // Edge-triggered, this is the test of the drain loop: the bytes
    // arrive in a few bursts, each reported once; a loop that read once per
    // report would leave the tail unread, with nothing left to report it.
    await using server = await startServer(chapter, task);
    for (let round = 0; round < 5; round++) {
      using conn = await dial(server.port);
      const payload = randomBytes(200_000, round + 100);
      const [echoed] = await withTimeout(
        Promise.all([
          readExactly(conn, payload.byteLength),
          writeAll(conn, payload),
        ]),
        10_000,
        "the whole echo",
      );
      assert.ok(equalBytes(echoed, payload), "echo differs");
    }
  });
}

/** The sockets among `pid`'s descriptors. (All descriptors would include
 * files that Deno's caches open and close on their own schedule.) */
function socketCount(pid: number): number {
  let sockets = 0;
  for (const { name } of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${name}`).startsWith("socket:")) {
        sockets++;
      }
    } catch { /* closed meanwhile */ }
  }
  return sockets;
}
