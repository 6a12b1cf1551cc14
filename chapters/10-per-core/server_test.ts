/**
 * What makes a loop per core: N threads, each asleep in its own epoll_wait
 * on its own epoll instance; with SO_REUSEPORT, each watching a listener of
 * its own and accepting its share of the connections; with one shared
 * listener, EPOLLEXCLUSIVE waking fewer loops per connection than without.
 * The server's `--stats` lines (each loop's thread id at start, its counters
 * at exit) say which thread is which loop; /proc says what each is doing.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import {
  type RunningServer,
  startServer,
  threadSyscalls,
} from "@echo-lab/harness/process";
import { expectEcho, sleep, withTimeout } from "@echo-lab/harness/net";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("10-per-core");

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too), on every server task.
testModel(chapter, model);
/** epoll_wait and epoll_pwait (x86_64, then aarch64's epoll_pwait). */
const EPOLL_WAITS = Deno.build.arch === "x86_64" ? [232, 281] : [22];
const EPOLLEXCLUSIVE = 1 << 28;

Deno.test("10-per-core server: 2 loops, each asleep in its own epoll_wait on its own listener, each accepting its share of 1,200 connections", async (t) => {
  const server = await startServer(chapter, "server", [
    "--loops",
    "2",
    "--stats",
  ]);
  try {
    await t.step(
      "each loop's thread sleeps in epoll_wait on an epoll of its own, watching one listener of its own",
      async () => {
        const loops = await sleepingLoops(server, 2);
        const epolls = new Set(loops.map((loop) => loop.epfd));
        assert.equal(epolls.size, 2, `epoll fds ${[...epolls]}`);
        const listeners = loops.map(({ watched }) => {
          assert.equal(watched.length, 1, `an idle loop watches ${watched}`);
          assert.equal(watched[0].events & EPOLLEXCLUSIVE, 0);
          return socketInode(server.pid, watched[0].fd);
        });
        assert.notEqual(listeners[0], listeners[1], "two distinct sockets");
      },
    );
    const CONNECTIONS = 1_200;
    await t.step(
      `${CONNECTIONS} connections, 20 at a time, each echoed`,
      async () => {
        for (let i = 0; i < CONNECTIONS; i += 20) {
          await withTimeout(
            Promise.all(
              Array.from(
                { length: 20 },
                (_, j) => expectEcho(server.port, `${i + j}`),
              ),
            ),
            10_000,
            `connections ${i}..${i + 19}`,
          );
        }
      },
    );
    await t.step(
      "SIGTERM twice: exit 0; each loop accepted a fair share",
      async () => {
        Deno.kill(server.pid, "SIGTERM");
        await sleep(20);
        try {
          Deno.kill(server.pid, "SIGTERM");
        } catch { /* already gone: fine */ }
        const { code } = await withTimeout(server.status, 5_000, "exit");
        assert.equal(code, 0, server.stderr());
        const reports = loopReports(server.stderr());
        assert.equal(reports.length, 2, server.stderr());
        const total = reports.reduce((sum, r) => sum + r.accepted, 0);
        assert.equal(total, CONNECTIONS);
        for (const { id, accepted } of reports) {
          // A hash of 1,200 source ports: a binomial split, so ~50% ± 1.5%.
          assert.ok(accepted > CONNECTIONS / 4, `loop ${id}: ${accepted}`);
        }
      },
    );
  } finally {
    await server[Symbol.asyncDispose]();
  }
});

Deno.test("10-per-core server:shared: one listener in every loop's epoll; EPOLLEXCLUSIVE wakes fewer loops per connection than without", async (t) => {
  // Most of the herd never reaches user space: a loop woken for a connection
  // another loop has taken re-checks the listener inside epoll_wait, finds
  // nothing, and sleeps again. Only the scheduler saw it wake: each wake-up
  // is one voluntary context switch of that thread.
  const CONNECTIONS = 300;
  const switchesPerConnection: Record<string, number> = {};
  for (const exclusive of [true, false]) {
    const args = [
      "--loops",
      "2",
      "--stats",
      ...exclusive ? [] : ["--no-exclusive"],
    ];
    const name = exclusive ? "with" : "without";
    await t.step(
      `${name} EPOLLEXCLUSIVE: ${CONNECTIONS} connections one at a time`,
      async () => {
        const server = await startServer(chapter, "server:shared", args);
        try {
          const loops = await sleepingLoops(server, 2);
          const [a, b] = loops.map(({ watched }) => watched);
          assert.ok(a.length === 1 && b.length === 1, "one listener each");
          assert.equal(a[0].fd, b[0].fd, "the same listener in both epolls");
          for (const { events } of [a[0], b[0]]) {
            assert.equal(
              events & EPOLLEXCLUSIVE,
              exclusive ? EPOLLEXCLUSIVE : 0,
            );
          }
          const before = wakeups(server.pid, loops);
          for (let i = 0; i < CONNECTIONS; i++) {
            // One at a time, so that both loops are asleep when each arrives.
            await withTimeout(expectEcho(server.port, `${i}`), 5_000, `#${i}`);
          }
          await sleep(100);
          const woken = wakeups(server.pid, loops) - before;
          assert.equal(await server.stop("SIGTERM"), 0, server.stderr());
          const reports = loopReports(server.stderr());
          const accepted = reports.reduce((sum, r) => sum + r.accepted, 0);
          assert.equal(accepted, CONNECTIONS);
          switchesPerConnection[name] = woken / CONNECTIONS;
        } finally {
          await server[Symbol.asyncDispose]();
        }
      },
    );
  }
  await t.step(
    "the herd: the loop that does not accept wakes too, without the flag",
    () => {
      const { with: flagged, without } = switchesPerConnection;
      // Each connection wakes its loop about three times (the connection, its
      // bytes, its FIN); without the flag the other loop wakes once more.
      assert.ok(
        without - flagged > 0.5,
        `wake-ups per connection: with ${flagged}, without ${without}`,
      );
    },
  );
});

/** The times the loops' threads have gone to sleep and been woken: the sum
 * of their voluntary context switches (/proc/PID/task/TID/status). */
function wakeups(pid: number, loops: { tid: number }[]): number {
  return loops.reduce((sum, { tid }) => {
    const status = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/status`);
    return sum + Number(status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)![1]);
  }, 0);
}

/** The loops' threads, once every one of them sleeps in epoll_wait: the
 * epoll fd each waits on (the call's first argument in
 * /proc/PID/task/TID/syscall) and what that epoll watches (its fdinfo). */
async function sleepingLoops(server: RunningServer, count: number) {
  const tids = [...server.stderr().matchAll(/^loop \d+: thread (\d+)$/gm)]
    .map((m) => Number(m[1]));
  assert.equal(tids.length, count, server.stderr());
  for (let attempt = 0; attempt < 50; attempt++) {
    const asleep = threadSyscalls(server.pid).filter((thread) =>
      tids.includes(thread.tid) && EPOLL_WAITS.includes(thread.syscall!)
    );
    if (asleep.length === count) break;
    await sleep(100);
  }
  return tids.map((tid) => {
    const [call, arg0] = Deno.readTextFileSync(
      `/proc/${server.pid}/task/${tid}/syscall`,
    ).split(" ");
    assert.ok(EPOLL_WAITS.includes(Number(call)), `thread ${tid} in ${call}`);
    const epfd = Number(arg0);
    const fdinfo = Deno.readTextFileSync(`/proc/${server.pid}/fdinfo/${epfd}`);
    const watched = [
      ...fdinfo.matchAll(/^tfd:\s+(\d+) events:\s+([0-9a-f]+)/gm),
    ]
      .map((m) => ({ fd: Number(m[1]), events: parseInt(m[2], 16) }));
    return { tid, epfd, watched };
  });
}

/** The inode of the socket behind `fd` in process `pid`. */
function socketInode(pid: number, fd: number): string {
  const link = Deno.readLinkSync(`/proc/${pid}/fd/${fd}`);
  assert.match(link, /^socket:/);
  return link;
}

/** The counters each loop printed at exit (`--stats`). */
function loopReports(stderr: string) {
  return [...stderr.matchAll(
    /^loop (\d+): accepted (\d+), listener wake-ups (\d+), empty \(EAGAIN\) (\d+)$/gm,
  )].map((m) => ({
    id: Number(m[1]),
    accepted: Number(m[2]),
    wakeups: Number(m[3]),
    empty: Number(m[4]),
  }));
}
