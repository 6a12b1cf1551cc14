/**
 * What makes this chapter's servers multi-process, proved from the outside
 * through /proc: clients are served by different worker processes, a worker
 * killed with SIGKILL takes only its own client with it, and neither a
 * crash nor a stop leaves a zombie or an orphan behind.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import {
  descendants,
  type RunningServer,
  startServer,
} from "@echo-lab/harness/process";
import {
  dial,
  expectEcho,
  readToEnd,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("03-process");

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too), on every server task.
testModel(chapter, model);

for (const task of ["server", "server:per-connection"]) {
  Deno.test(`03-process ${task}: each client is served by its own worker process`, async () => {
    await using server = await startServer(chapter, task, ["--workers", "3"]);
    const conns = await Promise.all([1, 2, 3].map(() => dial(server.port)));
    try {
      for (const conn of conns) await echoOnce(conn);
      const owners = conns.map((conn) => owner(server, conn));
      assert.equal(new Set(owners).size, 3, `owners: ${owners}`);
      for (const pid of owners) {
        assert(pid !== server.pid, "the master serves no client itself");
        assert(descendants(server.pid).includes(pid));
      }
      if (task === "server:per-connection") {
        // A worker per connection exits when its client leaves, and the
        // master reaps it: no zombie.
        conns.forEach((conn) => conn.close());
        await waitUntil(() => owners.every((pid) => !exists(pid)), "reaped");
      }
    } finally {
      conns.forEach((conn) => {
        try {
          conn.close();
        } catch { /* closed above */ }
      });
    }
  });

  Deno.test(`03-process ${task}: SIGKILL of one worker loses only its client`, async () => {
    await using server = await startServer(chapter, task, ["--workers", "2"]);
    const seen = new Set(descendants(server.pid));
    using doomed = await dial(server.port);
    using survivor = await dial(server.port);
    await echoOnce(doomed);
    await echoOnce(survivor);
    const victim = owner(server, doomed);
    Deno.kill(victim, "SIGKILL");
    // The kernel closes a dead process's sockets: the client sees the end.
    await withTimeout(readToEnd(doomed).catch(() => {}), 5_000, "end");
    await echoOnce(survivor);
    await expectEcho(server.port, "a new client, after the crash");
    await waitUntil(() => !exists(victim), "the dead worker reaped");
    if (task === "server") {
      // The pool is back to two workers: the master replaced the dead one.
      await waitUntil(() => descendants(server.pid).length === 2, "respawn");
    }
    descendants(server.pid).forEach((pid) => seen.add(pid));
    assert.equal(await server.stop("SIGTERM"), 0);
    await waitUntil(
      () => [...seen].every((pid) => !exists(pid)),
      "no zombie or orphan after SIGTERM",
    );
  });
}

Deno.test("03-process server: workers die with a master killed by SIGKILL", async () => {
  await using server = await startServer(chapter, "server", [
    "--workers",
    "2",
  ]);
  using conn = await dial(server.port);
  await echoOnce(conn);
  const workers = descendants(server.pid);
  assert.equal(workers.length, 2);
  Deno.kill(server.pid, "SIGKILL");
  await waitUntil(() => workers.every((pid) => !exists(pid)), "workers gone");
  await withTimeout(readToEnd(conn).catch(() => {}), 5_000, "end");
});

async function echoOnce(conn: Deno.TcpConn): Promise<void> {
  const message = new TextEncoder().encode("who serves me?");
  await writeAll(conn, message);
  const echoed = new Uint8Array(message.byteLength);
  for (let off = 0; off < echoed.byteLength;) {
    const n = await withTimeout(
      conn.read(echoed.subarray(off)),
      10_000,
      "echo",
    );
    assert(n !== null, "echo cut short");
    off += n;
  }
  assert.deepEqual(echoed, message);
}

/** The process holding the server's end of `conn`, found the way `ss -p`
 * does it: the socket's inode from /proc/net/tcp, then the process among the
 * server's family with a descriptor pointing at that inode. */
function owner(server: RunningServer, conn: Deno.TcpConn): number {
  const hex = (port: number) =>
    port.toString(16).toUpperCase().padStart(4, "0");
  const local = `0100007F:${hex(server.port)}`;
  const remote = `0100007F:${hex(conn.localAddr.port)}`;
  const inode = Deno.readTextFileSync("/proc/net/tcp").split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === local && fields[2] === remote)?.[9];
  assert(inode, `no server socket for client port ${conn.localAddr.port}`);
  for (const pid of [server.pid, ...descendants(server.pid)]) {
    for (const entry of readDirOrEmpty(`/proc/${pid}/fd`)) {
      try {
        const link = Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`);
        if (link === `socket:[${inode}]`) return pid;
      } catch { /* closed meanwhile */ }
    }
  }
  throw new Error(`no process holds socket ${inode}`);
}

/** Whether `pid` exists at all: a zombie counts, it is waiting to be reaped. */
function exists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

function readDirOrEmpty(path: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(path)];
  } catch {
    return [];
  }
}

async function waitUntil(done: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !done();) {
    if (Date.now() - started > 5_000) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}
