/**
 * The model checks: what makes each chapter's server that model and not just
 * an echo, checked from outside the process (through /proc) and told in the
 * reader's terms when it fails. They restate the promises of the chapters'
 * server_test.ts files and trace/expectations.ts, shortened so that a reader
 * waits seconds, not minutes.
 *
 * @module
 */
import {
  descendants,
  type RunningServer,
  threadCount,
  threadSyscalls,
  usageOver,
} from "@echo-lab/harness/process";
import {
  dial,
  dialMany,
  readExactly,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";
import { O_ASYNC } from "@echo-lab/shared/constants";
import { FD_SETSIZE } from "../chapters/05-select/select.ts";
import { raiseNoFileLimit } from "@echo-lab/shared/rlimit";
import type { Launch } from "./checks.ts";

export interface Model {
  /** The promise, in one line, as the check's name. */
  promise: string;
  /** Throws an Error whose message says what was expected and what
   * happened. */
  check(launch: Launch): Promise<void>;
}

/** System call numbers on x86_64 (asm/unistd_64.h), as /proc shows them. */
const SYSCALL_NAMES: Record<number, string> = {
  0: "read",
  7: "poll",
  23: "select",
  43: "accept",
  45: "recvfrom",
  202: "futex",
  232: "epoll_wait",
  270: "pselect6",
  271: "ppoll",
  281: "epoll_pwait",
  288: "accept4",
  426: "io_uring_enter",
  441: "epoll_pwait2",
};

export const MODELS: Record<string, Model> = {
  "01-blocking": {
    promise: "one client at a time",
    async check(launch) {
      await using server = await launch();
      const a = await dial(server.port);
      using b = await dial(server.port);
      let echoB: Promise<Uint8Array>;
      try {
        await ping(a, "A");
        await writeAll(b, bytes("B"));
        echoB = readExactly(b, 1);
        if (await settlesWithin(echoB, 1_000)) {
          throw new Error(
            "client B got its echo while client A, connected and idle, was " +
              "still being served: chapter 01's server serves one client at " +
              "a time, on one thread, and yours serves them side by side",
          );
        }
      } finally {
        a.close();
      }
      if (!await settlesWithin(echoB, 5_000)) {
        throw new Error(
          "client A left, and client B waited 5 s more for its echo: when " +
            "recv returns 0, close A's connection and go back to accept",
        );
      }
    },
  },

  "02-threaded": {
    promise: "a thread (Worker) per connection",
    async check(launch) {
      await using server = await launch();
      await servesTogether(server);
      await sleep(300);
      const before = workers(server.pid);
      const conns = await dialMany(server.port, 4);
      try {
        for (const [i, conn] of conns.entries()) await ping(conn, `c${i}`);
        const added = workers(server.pid) - before;
        if (added !== 4) {
          throw new Error(
            `4 clients connected, and your server has ${added} more Worker ` +
              `thread(s) than before: chapter 02 hands each connection to a ` +
              `Worker of its own (new Worker(...), then postMessage the fd)`,
          );
        }
      } finally {
        conns.forEach((conn) => conn.close());
      }
    },
  },

  "03-process": {
    promise: "worker processes serve the clients, not the master",
    async check(launch) {
      await using server = await launch(["--workers", "3"]);
      const conns = await dialMany(server.port, 3);
      try {
        for (const [i, conn] of conns.entries()) await ping(conn, `c${i}`);
        const family = descendants(server.pid);
        for (const conn of conns) {
          const pid = owner(server, conn);
          if (pid === server.pid || !family.includes(pid)) {
            throw new Error(
              `a client was served by process ${pid}, ` +
                (pid === server.pid ? "the master itself" : "not a worker") +
                `: chapter 03's master only starts workers (keepOneWorker), ` +
                `and each worker accepts and serves its own clients`,
            );
          }
        }
      } finally {
        conns.forEach((conn) => conn.close());
      }
    },
  },

  "04-nonblocking": {
    promise: "one thread serves everyone, and never sleeps",
    async check(launch) {
      await using server = await launch();
      await servesTogether(server);
      const { runnable, wall } = await usageOver(server.pid, 1_000);
      if (runnable < 0.9 * wall) {
        throw new Error(
          `with every client idle, your server's thread slept ` +
            `${(wall - runnable).toFixed(2)} s of ${wall.toFixed(2)} s: ` +
            `chapter 04's loop never sleeps; it asks every socket again and ` +
            `again, and takes EAGAIN for "not now"`,
        );
      }
    },
  },

  "05-select": {
    promise: "sleeps in select, and refuses a descriptor at FD_SETSIZE",
    async check(launch) {
      raiseNoFileLimit(); // this process holds the clients' ends
      await using server = await launch();
      await servesTogether(server);
      await expectSleepIn(server, ["select", "pselect6"], "select");
      const conns = await dialMany(server.port, FD_SETSIZE + 20);
      try {
        await sleep(500);
        const refused = server.stderr().match(
          /^refusing a connection: fd (\d+)/m,
        );
        if (!refused || Number(refused[1]) < FD_SETSIZE) {
          throw new Error(
            `${conns.length} clients connected, so your server's descriptors ` +
              `went past ${FD_SETSIZE}, and it refused none: select(2) can ` +
              `only watch descriptors below FD_SETSIZE (${FD_SETSIZE}); ` +
              `turn such a client away (addConnection does) instead`,
          );
        }
      } finally {
        conns.forEach((conn) => conn.close());
      }
    },
  },

  "06-epoll": {
    promise: "sleeps in its own epoll_wait, on every socket at once",
    async check(launch) {
      await using server = await launch();
      await servesTogether(server);
      const call = await expectSleepIn(
        server,
        ["epoll_wait", "epoll_pwait", "epoll_pwait2"],
        "epoll_wait",
      );
      const epfd = Number(call.args[0]);
      const listener = listenerFd(server);
      const info = readText(`/proc/${server.pid}/fdinfo/${epfd}`);
      if (!new RegExp(`^tfd:\\s+${listener}\\s`, "m").test(info)) {
        throw new Error(
          `your server sleeps in epoll_wait, but on an epoll instance that ` +
            `does not watch its listening socket (Deno's own, waiting for a ` +
            `timer?): chapter 06's loop sleeps in its own epollWait, which ` +
            `wakes when any of its sockets is ready`,
        );
      }
    },
  },

  "07-async": {
    promise: "one thread, Deno's event loop, a task per connection",
    async check(launch) {
      await using server = await launch();
      await servesTogether(server);
      await sleep(300);
      const threads = threadCount(server.pid);
      const conns = await dialMany(server.port, 20);
      try {
        await Promise.all(conns.map((conn, i) => ping(conn, `c${i}`)));
        if (threadCount(server.pid) > threads) {
          throw new Error(
            `20 clients connected and your server started ` +
              `${threadCount(server.pid) - threads} more thread(s): ` +
              `chapter 07 serves every client on the one thread, as tasks ` +
              `that await`,
          );
        }
        await expectSleepIn(
          server,
          ["epoll_wait", "epoll_pwait", "epoll_pwait2"],
          "epoll_wait (Deno's event loop)",
        );
      } finally {
        conns.forEach((conn) => conn.close());
      }
    },
  },

  "08-signal-driven": {
    promise: "every socket O_ASYNC, SIGIO caught, no CPU while idle",
    async check(launch) {
      await using server = await launch();
      await servesTogether(server);
      using idle = await dial(server.port);
      await ping(idle, "hi");
      for (const fd of serverSocketFds(server)) {
        const flags = parseInt(
          readText(`/proc/${server.pid}/fdinfo/${fd}`).match(
            /^flags:\s+(\d+)/m,
          )![1],
          8,
        );
        if (!(flags & O_ASYNC)) {
          throw new Error(
            `your server's socket fd ${fd} does not have O_ASYNC: chapter ` +
              `08 asks the kernel for a SIGIO on every socket (setAsync)`,
          );
        }
      }
      const caught = readText(`/proc/${server.pid}/status`)
        .match(/^SigCgt:\s+([0-9a-f]+)/m)![1];
      if (!(BigInt(`0x${caught}`) & (1n << 28n))) {
        throw new Error(
          "your server does not catch SIGIO: without a listener, the " +
            "kernel's signal would end the process",
        );
      }
      const { cpu } = await usageOver(server.pid, 1_000);
      if (cpu > 0.1) {
        throw new Error(
          `with every client idle your server used ${cpu.toFixed(2)} s of ` +
            `CPU in 1 s: chapter 08 sleeps until a SIGIO says something ` +
            `changed, and never polls`,
        );
      }
    },
  },

  "09-io-uring": {
    promise: "sleeps in io_uring_enter; the kernel does accept and recv",
    async check(launch) {
      await using server = await launch();
      await servesTogether(server);
      await expectSleepIn(server, ["io_uring_enter"], "io_uring_enter");
      // Where strace can attach: while a client echoes 256 KiB, the thread
      // makes no socket call of its own.
      const calls = await callsDuring(server.pid, async () => {
        using conn = await dial(server.port);
        const payload = new Uint8Array(256 * 1024).fill(9);
        await Promise.all([
          writeAll(conn, payload),
          withTimeout(readExactly(conn, payload.byteLength), 10_000, "echo"),
        ]);
      });
      const own = [...calls ?? []].filter(([name]) =>
        /^(accept4?|recv\w*|send\w*|read|write|epoll_\w+|poll|select)$/
          .test(name)
      );
      if (own.length > 0) {
        throw new Error(
          `while a client echoed 256 KiB, your server's thread called ` +
            own.map(([name, count]) => `${name} ${count} times`).join(", ") +
            `: under io_uring the kernel makes those calls; queue a request ` +
            `(prepRecv, prepSend, prepAccept) and handle its completion`,
        );
      }
    },
  },
};

/** Client A connects, is echoed, and stays idle; client B must be echoed
 * within 4 s anyway (a Worker or a process may take a moment to start on a
 * busy machine; a one-at-a-time server never answers). */
async function servesTogether(server: RunningServer): Promise<void> {
  using a = await dial(server.port);
  await ping(a, "A");
  using b = await dial(server.port);
  const started = performance.now();
  await writeAll(b, bytes("B"));
  if (!await settlesWithin(readExactly(b, 1), 4_000)) {
    const waited = (performance.now() - started) / 1_000;
    throw new Error(
      `client B waited ${waited.toFixed(1)} s for its echo while A sat ` +
        `idle: your server serves one client at a time`,
    );
  }
}

/** Looks at the server's main thread 50 times over 1 s, every client idle,
 * and expects it asleep in one of `calls` most of the time; returns the
 * last such call with its arguments. */
async function expectSleepIn(
  server: RunningServer,
  calls: string[],
  what: string,
): Promise<{ name: string; args: string[] }> {
  await sleep(200);
  const seen = new Map<string, number>();
  let last: { name: string; args: string[] } | null = null;
  for (let i = 0; i < 50; i++) {
    const call = mainThreadCall(server.pid);
    seen.set(call.name, (seen.get(call.name) ?? 0) + 1);
    if (calls.includes(call.name)) last = call;
    await sleep(20);
  }
  const asleep = calls.reduce((sum, call) => sum + (seen.get(call) ?? 0), 0);
  if (asleep < 40 || !last) {
    const where = [...seen].sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ${count} times`).join(", ");
    throw new Error(
      `the server never slept in ${what}` +
        (asleep ? ` (only ${asleep} of 50 looks)` : "") +
        `: with every client idle, 50 looks at its thread over 1 s found ` +
        `it ${where}`,
    );
  }
  return last;
}

/** The system calls (name → count) the main thread of `pid` makes while
 * `work` runs, from `strace -c`; null where strace is missing or may not
 * attach (09's own tests say so; the sleep check still holds). */
async function callsDuring(
  pid: number,
  work: () => Promise<void>,
): Promise<Map<string, number> | null> {
  let strace: Deno.ChildProcess;
  const summary = await Deno.makeTempFile({ prefix: "echo-lab-strace-" });
  try {
    strace = new Deno.Command("strace", {
      args: ["-c", "-o", summary, "-p", String(pid)],
      stderr: "piped",
    }).spawn();
  } catch {
    await Deno.remove(summary);
    return null; // not installed
  }
  const stderr = strace.stderr.pipeThrough(new TextDecoderStream())
    .getReader();
  try {
    // strace says "attached" once it traces (or why it cannot).
    const { value = "" } = await withTimeout(stderr.read(), 5_000, "strace");
    if (!/attached/.test(value)) {
      await strace.status;
      return null;
    }
    await work();
    strace.kill("SIGINT"); // detach and write the table
    await strace.status;
    const calls = new Map<string, number>();
    for (const line of (await Deno.readTextFile(summary)).split("\n")) {
      const fields = line.trim().split(/\s+/);
      const name = fields.at(-1)!;
      if (
        /^\d/.test(fields[0]) && /^[a-z_]\w*$/.test(name) && name !== "total"
      ) {
        calls.set(name, Number(fields[3]));
      }
    }
    return calls;
  } finally {
    await stderr.cancel();
    await Deno.remove(summary);
  }
}

/** The system call the main thread is in right now, by name, or `running`
 * (user code) (/proc/PID/task/PID/syscall). */
function mainThreadCall(pid: number): { name: string; args: string[] } {
  const [first, ...args] = readText(`/proc/${pid}/task/${pid}/syscall`)
    .trim().split(" ");
  if (first === "running") return { name: "running its own code", args };
  const number = Number(first);
  return { name: SYSCALL_NAMES[number] ?? `system call ${number}`, args };
}

function workers(pid: number): number {
  return threadSyscalls(pid).filter(({ name }) => name.startsWith("worker-"))
    .length;
}

/** The server process's sockets, by inode (from /proc/PID/fd). */
function socketFds(pid: number): Map<string, number> {
  const fds = new Map<string, number>();
  for (const { name } of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = Deno.readLinkSync(`/proc/${pid}/fd/${name}`)
        .match(/^socket:\[(\d+)\]$/)?.[1];
      if (inode) fds.set(inode, Number(name));
    } catch { /* closed meanwhile */ }
  }
  return fds;
}

/** /proc/PID/net/tcp rows on the server's port: local, remote, state, inode. */
function tcpRows(server: RunningServer) {
  const local = `:${server.port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readText(`/proc/${server.pid}/net/tcp`).split("\n").slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(local))
    .map((f) => ({ local: f[1], remote: f[2], state: f[3], inode: f[9] }));
}

function listenerFd(server: RunningServer): number {
  const row = tcpRows(server).find((row) => row.state === "0A"); // LISTEN
  return socketFds(server.pid).get(row?.inode ?? "") ?? -1;
}

function serverSocketFds(server: RunningServer): number[] {
  const fds = socketFds(server.pid);
  return tcpRows(server).flatMap((row) => fds.get(row.inode) ?? []);
}

/** The process holding the server's end of `conn` (as `ss -p` finds it). */
function owner(server: RunningServer, conn: Deno.TcpConn): number {
  const remote = `:${
    conn.localAddr.port.toString(16).toUpperCase()
      .padStart(4, "0")
  }`;
  const inode = tcpRows(server).find((row) => row.remote.endsWith(remote))
    ?.inode;
  for (const pid of [server.pid, ...descendants(server.pid)]) {
    if (inode && socketFds(pid).has(inode)) return pid;
  }
  throw new Error(`no process of the server holds client ${remote}'s socket`);
}

async function ping(conn: Deno.TcpConn, text: string): Promise<void> {
  await writeAll(conn, bytes(text));
  const echo = await withTimeout(
    readExactly(conn, text.length),
    5_000,
    `the echo of "${text}"`,
  ).catch(() => {
    throw new Error(`a client sent "${text}" and got no echo within 5 s`);
  });
  if (new TextDecoder().decode(echo) !== text) {
    throw new Error(`a client sent "${text}" and got back something else`);
  }
}

/** Whether `promise` settles (either way) within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number) {
  const settled = promise.then(() => true, () => true);
  return withTimeout(settled, ms, "").catch(() => false);
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function readText(path: string): string {
  return Deno.readTextFileSync(path);
}
