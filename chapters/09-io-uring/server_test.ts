/**
 * The properties that define the io_uring model, for the servers (`server`,
 * one request at a time per connection, `server:modern`, multishot requests
 * over a provided buffer ring, and `server:zc`, the same echoing by
 * zero-copy sends): the server's thread waits in
 * io_uring_enter (not in epoll_wait, not in recv), it makes no recv, send or
 * accept calls of its own because the kernel performs them, and one thread
 * holds 1,000 concurrent connections. Where io_uring is unavailable the
 * server says so in one line, and these tests are skipped with the reason.
 */
import assert from "node:assert/strict";
import { chapterNamed, taskCommand } from "@echo-lab/harness/chapters";
import {
  fdCount,
  type RunningServer,
  startServer,
  threadCount,
  threadSyscalls,
} from "@echo-lab/harness/process";
import {
  dial,
  dialMany,
  equalBytes,
  randomBytes,
  readExactly,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";
import { runClient } from "@echo-lab/harness/client";
import { ioUringUnavailable } from "./io_uring.ts";
import { raiseNoFileLimit } from "@echo-lab/shared/rlimit";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("09-io-uring");

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too), on every server task.
testModel(chapter, model);
const SYS_io_uring_enter = 426; // x86_64 and aarch64 alike

const noIoUring = ioUringUnavailable();
if (noIoUring) console.log(`skipping 09-io-uring tests: ${noIoUring}`);
const noStrace = await straceUnavailable();
if (noStrace) console.log(`skipping the strace tests: ${noStrace}`);

/** The server's main thread, the one running its JavaScript. */
function mainThreadSyscall(server: RunningServer): number | null {
  return threadSyscalls(server.pid).find((t) => t.tid === server.pid)!.syscall;
}

Deno.test({
  name:
    "09-io-uring server:zc: 64 MiB through a 16 MiB pool: each buffer a zero-copy send lent comes back",
  ignore: noIoUring !== null,
  async fn() {
    await using server = await startServer(chapter, "server:zc");
    using conn = await dial(server.port);
    // Four times the pool: were a buffer kept past its notification, or
    // given back before it, the pool would run dry and the echo stall, or
    // bytes would come back overwritten.
    const payload = randomBytes(64 * 1024 * 1024, 9);
    const writing = writeAll(conn, payload, 65_536);
    const echoed = await withTimeout(
      readExactly(conn, payload.byteLength),
      60_000,
      "the 64 MiB echo",
    );
    await writing;
    assert(equalBytes(echoed, payload), "64 MiB echo differs");
  },
});

for (const task of ["server", "server:modern", "server:zc"]) {
  Deno.test({
    name:
      `09-io-uring ${task}: idle, the server waits in io_uring_enter, not epoll_wait`,
    ignore: noIoUring !== null,
    async fn() {
      await using server = await startServer(chapter, task);
      const conns = await Promise.all([1, 2, 3].map(() => dial(server.port)));
      try {
        await writeAll(conns[0], new TextEncoder().encode("hi"));
        await readExactly(conns[0], 2);
        await sleep(200);
        // Three idle clients, three recv requests parked in the kernel, and
        // the thread asleep in the one call that waits for any of them.
        assert.equal(mainThreadSyscall(server), SYS_io_uring_enter);
      } finally {
        conns.forEach((conn) => conn.close());
      }
    },
  });

  Deno.test({
    name:
      `09-io-uring ${task}: the kernel does the accepts, recvs and sends (strace)`,
    ignore: noIoUring !== null || noStrace !== null,
    async fn() {
      await using server = await startServer(chapter, task);
      // -c: count the main thread's system calls while a client echoes 1 MiB.
      const summary = await Deno.makeTempFile({ prefix: "echo-lab-strace-" });
      const strace = new Deno.Command("strace", {
        args: ["-c", "-o", summary, "-p", String(server.pid)],
        stderr: "piped",
      }).spawn();
      const stderr = strace.stderr.pipeThrough(new TextDecoderStream())
        .getReader();
      try {
        // strace says "attached" once it traces; only then start the client.
        await withTimeout(stderr.read(), 5_000, "strace to attach");
        const input = randomBytes(1024 * 1024, 9);
        const result = await runClient(chapter, server.port, input, "file");
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.byteLength, input.byteLength);
        strace.kill("SIGINT"); // detach and write the table
        await strace.status;
        const calls = countedCalls(await Deno.readTextFile(summary));
        assert.ok(
          (calls.get("io_uring_enter") ?? 0) > 0,
          `no io_uring_enter in ${[...calls.keys()]}`,
        );
        for (const name of calls.keys()) {
          assert.doesNotMatch(
            name,
            /^(accept4?|recv\w*|send\w*|read|write|epoll_\w+|poll|select)$/,
            `the server's thread called ${name} itself`,
          );
        }
      } finally {
        await stderr.cancel();
        await Deno.remove(summary);
      }
    },
  });

  Deno.test({
    name: `09-io-uring ${task}: one thread holds 1,000 concurrent connections`,
    ignore: noIoUring !== null,
    async fn() {
      raiseNoFileLimit(); // this test process holds the other 1,000 ends
      await using server = await startServer(chapter, task);
      // The watchdog Worker's threads start after the ready line: wait until
      // the count holds still before taking it as the baseline.
      let threads = 0;
      while (threads !== threadCount(server.pid)) {
        threads = threadCount(server.pid);
        await sleep(300);
      }
      const fds = fdCount(server.pid);
      const conns = await dialMany(server.port, 1000, 100);
      try {
        const messages = conns.map((_, i) =>
          new TextEncoder().encode(`client ${i}.`)
        );
        await Promise.all(conns.map((conn, i) => writeAll(conn, messages[i])));
        const echoes = await withTimeout(
          Promise.all(
            conns.map((conn, i) => readExactly(conn, messages[i].length)),
          ),
          20_000,
          "1,000 echoes",
        );
        echoes.forEach((echo, i) => assert.deepEqual(echo, messages[i]));
        await sleep(200);
        // All 1,000 idle: one recv each in flight, one thread asleep, and no
        // kernel worker threads (iou-wrk) were needed to hold them.
        assert.equal(mainThreadSyscall(server), SYS_io_uring_enter);
        const names = threadSyscalls(server.pid).map((t) => t.name);
        assert.equal(threadCount(server.pid), threads, `threads: ${names}`);
        assert.ok(
          !names.some((name) => name.startsWith("iou-wrk")),
          `${names}`,
        );
        assert.equal(fdCount(server.pid), fds + 1000);
      } finally {
        conns.forEach((conn) => conn.close());
      }
      // Each close completes a recv with 0; the server closes its end.
      await withTimeout(
        (async () => {
          while (fdCount(server.pid) > fds) await sleep(50);
        })(),
        5_000,
        "the server to close 1,000 connections",
      );
    },
  });

  Deno.test({
    name:
      `09-io-uring ${task}: without io_uring, one line naming the need and the doctor, exit 1`,
    ignore: noStrace !== null,
    async fn() {
      // DEFER_TASKRUN, which the modern server asks for, came in 6.1.
      const needs = task === "server" ? "5\\.19" : "6\\.1";
      for (const error of ["ENOSYS", "EPERM"]) {
        // strace makes io_uring_setup fail as an old kernel (ENOSYS) or a
        // seccomp profile or sysctl kernel.io_uring_disabled (EPERM) would;
        // with EPERM the line also names the likely cause.
        const [deno, ...args] = taskCommand(chapter, task, ["--port", "0"]);
        const { code, stderr } = await new Deno.Command("strace", {
          args: [
            "-f",
            "-o",
            "/dev/null",
            `--inject=io_uring_setup:error=${error}`,
            deno,
            ...args,
          ],
          cwd: chapter.dir,
          stdout: "null",
          stderr: "piped",
        }).output();
        assert.equal(code, 1);
        assert.match(
          new TextDecoder().decode(stderr),
          new RegExp(
            `^this chapter needs io_uring \\(Linux ${needs} or later, not disabled; here io_uring_setup: ${error} \\([^)]+\\)(: [^\\n]+)?\\): deno task doctor checks what each chapter needs on this machine\\n$`,
          ),
        );
      }
    },
  });
}

/** The table of `strace -c`: system call name → number of calls. */
function countedCalls(table: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of table.split("\n")) {
    const fields = line.trim().split(/\s+/);
    const name = fields.at(-1)!;
    if (/^\d/.test(fields[0]) && /^[a-z_]\w*$/.test(name) && name !== "total") {
      calls.set(name, Number(fields[3]));
    }
  }
  return calls;
}

/** Why strace cannot be used here (not installed, or ptrace forbidden). */
async function straceUnavailable(): Promise<string | null> {
  try {
    const { code } = await new Deno.Command("strace", {
      args: ["-o", "/dev/null", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0 ? null : "strace cannot trace here (ptrace denied?)";
  } catch {
    return "strace is not installed (apt-get install strace)";
  }
}
