/**
 * Looking inside a running server from outside, through /proc, the way a
 * chapter's model check (its `model.ts`) needs it: which system call each
 * thread of each process is asleep in and on which descriptor, which sockets
 * an epoll instance watches, what a select or poll call was handed, and what
 * the server costs once its clients go quiet. Every function covers the
 * whole server: its main thread, its Workers and its child processes.
 *
 * @module
 */
import { type Chapter, serverTasks } from "./chapters.ts";
import { descendants, type RunningServer, startServer } from "./process.ts";
import {
  dial,
  dialMany,
  equalBytes,
  randomBytes,
  readExactly,
  sleep,
  withTimeout,
  writeAll,
} from "./net.ts";

/** System call numbers on x86_64 (asm/unistd_64.h), as /proc shows them. */
const SYSCALL_NAMES: Record<number, string> = {
  0: "read",
  1: "write",
  7: "poll",
  23: "select",
  34: "pause",
  35: "nanosleep",
  43: "accept",
  44: "sendto",
  45: "recvfrom",
  46: "sendmsg",
  47: "recvmsg",
  61: "wait4",
  128: "rt_sigtimedwait",
  130: "rt_sigsuspend",
  202: "futex",
  230: "clock_nanosleep",
  232: "epoll_wait",
  270: "pselect6",
  271: "ppoll",
  281: "epoll_pwait",
  288: "accept4",
  426: "io_uring_enter",
  441: "epoll_pwait2",
};

/** Calls whose first argument is the descriptor they wait on. */
const FD_FIRST = new Set([
  "read",
  "write",
  "accept",
  "accept4",
  "recvfrom",
  "sendto",
  "recvmsg",
  "sendmsg",
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
  "io_uring_enter",
]);

/** One thread of the server, and the call it is in right now. */
export interface ThreadState {
  pid: number;
  tid: number;
  /** The thread's name: `deno` for a main thread, `worker-N` for a Worker. */
  comm: string;
  /** The system call's name, or `running` while it runs its own code. */
  call: string;
  /** The call's raw arguments (hex), as /proc/PID/task/TID/syscall gives. */
  args: string[];
}

/** Every process of the server: itself and its descendants. */
export function processes(server: RunningServer): number[] {
  return [server.pid, ...descendants(server.pid)];
}

/** Every thread of every process of the server, right now. */
export function threads(server: RunningServer): ThreadState[] {
  return processes(server).flatMap((pid) => {
    let tasks: Deno.DirEntry[];
    try {
      tasks = [...Deno.readDirSync(`/proc/${pid}/task`)];
    } catch {
      return []; // the process ended while we looked
    }
    return tasks.flatMap(({ name }) => {
      const task = `/proc/${pid}/task/${name}`;
      const syscall = readProc(`${task}/syscall`)?.trim().split(" ");
      const comm = readProc(`${task}/comm`)?.trim();
      if (!syscall || comm === undefined) return [];
      const [first, ...args] = syscall;
      const call = first === "running"
        ? "running"
        : SYSCALL_NAMES[Number(first)] ?? `system call ${first}`;
      return [{ pid, tid: Number(name), comm, call, args }];
    });
  });
}

/** The descriptor `thread`'s call waits on, when its first argument is one. */
export function waitedFd(thread: ThreadState): number | null {
  return FD_FIRST.has(thread.call) ? Number(thread.args[0]) : null;
}

/** Whether `thread` is one the program started: a process's main thread or
 * a Worker (Deno names their threads `worker-N`); the others are the
 * runtime's own (V8's platform threads, tokio's). */
export function isProgramThread(thread: ThreadState): boolean {
  return thread.tid === thread.pid || thread.comm.startsWith("worker-");
}

/** How a thread is named in a message. */
export function describe(thread: ThreadState, server: RunningServer): string {
  const where = thread.pid === server.pid
    ? ""
    : ` of child process ${thread.pid}`;
  if (thread.tid === thread.pid) {
    return thread.pid === server.pid
      ? "the main thread"
      : `the main thread${where}`;
  }
  return thread.comm.startsWith("worker-")
    ? `a Worker's thread (${thread.comm})${where}`
    : `the runtime's thread ${thread.comm}${where}`;
}

/** The server's TCP sockets on its port, in process `pid`: descriptor
 * number by role. */
export interface Sockets {
  listeners: number[];
  clients: number[];
}

/** The listening and connected sockets on the server's port that process
 * `pid` holds, by descriptor (/proc/PID/net/tcp and /proc/PID/fd). */
export function sockets(server: RunningServer, pid = server.pid): Sockets {
  const local = `:${server.port.toString(16).toUpperCase().padStart(4, "0")}`;
  const table = readProc(`/proc/${pid}/net/tcp`) ?? "";
  const states = new Map<string, string>();
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(local)) states.set(fields[9], fields[3]);
  }
  const found: Sockets = { listeners: [], clients: [] };
  for (const [fd, inode] of socketInodes(pid)) {
    const state = states.get(inode);
    if (state === "0A") found.listeners.push(fd); // LISTEN
    else if (state !== undefined) found.clients.push(fd);
  }
  return found;
}

/** What an epoll instance watches: descriptor → event mask (the `tfd`
 * lines of /proc/PID/fdinfo/EPFD), and whether it watches an eventfd (the
 * runtime's wake-up: tokio's epoll instances all have one). */
export function epollWatches(
  pid: number,
  epfd: number,
): { masks: Map<number, number>; eventfd: boolean } {
  const masks = new Map<number, number>();
  const info = readProc(`/proc/${pid}/fdinfo/${epfd}`) ?? "";
  for (
    const [, fd, mask] of info.matchAll(
      /^tfd:\s+(\d+)\s+events:\s+([0-9a-f]+)/gm,
    )
  ) {
    masks.set(Number(fd), parseInt(mask, 16));
  }
  const eventfd = [...masks.keys()].some((fd) => {
    try {
      return Deno.readLinkSync(`/proc/${pid}/fd/${fd}`) ===
        "anon_inode:[eventfd]";
    } catch {
      return false;
    }
  });
  return { masks, eventfd };
}

/** `length` bytes of process `pid`'s memory at `address` (/proc/PID/mem:
 * the fd_set or pollfd array a sleeping select or poll was handed). */
export function readMemory(
  pid: number,
  address: bigint,
  length: number,
): Uint8Array {
  using mem = Deno.openSync(`/proc/${pid}/mem`);
  mem.seekSync(Number(address), Deno.SeekMode.Start);
  const bytes = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = mem.readSync(bytes.subarray(got));
    if (!n) break;
    got += n;
  }
  return bytes.subarray(0, got);
}

/** Samples every thread of the server `looks` times over about a second, and
 * keeps, per thread, the looks that found it in each call (with the last
 * such look's state). A thread asleep in the model's call is found there on
 * nearly every look. */
export async function sampleThreads(
  server: RunningServer,
  looks = 25,
): Promise<
  Map<number, { calls: Map<string, number>; last: Map<string, ThreadState> }>
> {
  const seen = new Map<
    number,
    { calls: Map<string, number>; last: Map<string, ThreadState> }
  >();
  for (let i = 0; i < looks; i++) {
    for (const thread of threads(server)) {
      let entry = seen.get(thread.tid);
      if (!entry) {
        seen.set(thread.tid, entry = { calls: new Map(), last: new Map() });
      }
      entry.calls.set(thread.call, (entry.calls.get(thread.call) ?? 0) + 1);
      entry.last.set(thread.call, thread);
    }
    await sleep(40);
  }
  return seen;
}

/** The call `tid` was found in most often, with how often, from a sample. */
export function mostly(
  entry: { calls: Map<string, number>; last: Map<string, ThreadState> },
): { call: string; count: number; state: ThreadState } {
  const [call, count] = [...entry.calls].sort((a, b) => b[1] - a[1])[0];
  return { call, count, state: entry.last.get(call)! };
}

/** Load, then quiet: `floods` clients each send 2 MiB and stop reading for a
 * while, so the server's sends come up short and it has to hold bytes back
 * (the moment a loop starts watching for "writable"), then read everything
 * back; `idle` more clients connect, say hello, and wait. Returns every
 * connection, still open, for the caller to close. Throws, saying so, if an
 * echo does not come back whole. */
export async function floodThenIdle(
  server: RunningServer,
  { floods = 2, idle = 3 } = {},
): Promise<Deno.TcpConn[]> {
  const conns = await dialMany(server.port, floods + idle);
  const watch = watchForStall(server);
  try {
    await raceStall(
      watch.stalled,
      withTimeout(
        Promise.all(
          conns.slice(0, floods).map(async (conn, i) => {
            const flood = randomBytes(8 * 1024 * 1024, i + 7);
            const [echoed] = await Promise.all([
              sleep(500).then(() => readExactly(conn, flood.byteLength)),
              writeAll(conn, flood, 256 * 1024),
            ]);
            if (!equalBytes(echoed, flood)) throw new Error("differs");
          }),
        ),
        20_000,
        "the floods",
      ),
    );
    const hello = new TextEncoder().encode("hi");
    for (const conn of conns.slice(floods)) {
      await writeAll(conn, hello);
      await raceStall(
        watch.stalled,
        withTimeout(readExactly(conn, 2), 5_000, "hello"),
      );
    }
  } catch (error) {
    conns.forEach((conn) => conn.close());
    const stall = error instanceof Stalled ? `${error.message}. ` : "";
    throw new Error(
      `${floods} client(s) each sent 8 MiB without reading for 0.5 s, then ` +
        `read everything, and ${idle} more said hello: not every echo came ` +
        `back whole. ${stall}When a send takes only part of the bytes, keep ` +
        `the rest and send it once the socket is writable again`,
    );
  } finally {
    watch.stop();
  }
  return conns;
}

/** Seconds the whole server (every thread of every process) spends
 * runnable over `ms` milliseconds: on a CPU, or ready and waiting for one
 * (/proc/PID/task/TID/schedstat). A thread that never sleeps adds a second
 * per second however busy the machine is, where its CPU time would shrink
 * with the load; a thread asleep in a system call adds nothing. */
export async function busyOver(
  server: RunningServer,
  ms: number,
): Promise<number> {
  const before = threadClocks(server);
  await sleep(ms);
  return sum(spentSince(before, server), "runnable");
}

/** One thread's clocks: seconds runnable (on a CPU, or ready and waiting
 * for one: /proc/PID/task/TID/schedstat) and how many times it went to
 * sleep (voluntary context switches, /proc/PID/task/TID/status). */
interface ThreadClock {
  runnable: number;
  sleeps: number;
}

/** Every thread's clocks so far, by thread id, over all the server's
 * processes. */
function threadClocks(server: RunningServer): Map<number, ThreadClock> {
  const clocks = new Map<number, ThreadClock>();
  for (const pid of processes(server)) {
    let tasks: Deno.DirEntry[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${pid}/task`)];
    } catch { /* ended */ }
    for (const { name } of tasks) {
      const stat = readProc(`/proc/${pid}/task/${name}/schedstat`);
      if (!stat) continue;
      const [running, waiting] = stat.split(" ").map(Number);
      const status = readProc(`/proc/${pid}/task/${name}/status`) ?? "";
      clocks.set(Number(name), {
        runnable: (running + waiting) / 1e9,
        sleeps: Number(
          status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)?.[1] ?? 0,
        ),
      });
    }
  }
  return clocks;
}

/** What each thread spent since `before`, by thread id. */
function spentSince(
  before: Map<number, ThreadClock>,
  server: RunningServer,
): Map<number, ThreadClock> {
  const spent = new Map<number, ThreadClock>();
  for (const [tid, now] of threadClocks(server)) {
    const then = before.get(tid) ?? { runnable: 0, sleeps: 0 };
    spent.set(tid, {
      runnable: now.runnable - then.runnable,
      sleeps: now.sleeps - then.sleeps,
    });
  }
  return spent;
}

function sum(clocks: Map<number, ThreadClock>, key: keyof ThreadClock) {
  let total = 0;
  for (const clock of clocks.values()) total += clock[key];
  return total;
}

/** The system calls the server makes while `work` runs, by name, across
 * every thread of every process (`strace -f -c`); null where strace is
 * missing or may not attach. */
export async function callsDuring(
  server: RunningServer,
  work: () => Promise<void>,
): Promise<Map<string, number> | null> {
  const summary = await Deno.makeTempFile({ prefix: "echo-lab-strace-" });
  let strace: Deno.ChildProcess;
  try {
    strace = new Deno.Command("strace", {
      args: ["-f", "-c", "-o", summary, "-p", String(server.pid)],
      stderr: "piped",
    }).spawn();
  } catch {
    await Deno.remove(summary);
    return null; // not installed
  }
  const stderr = strace.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const { value = "" } = await withTimeout(stderr.read(), 5_000, "strace");
    if (!/attached/.test(value)) {
      strace.kill("SIGKILL");
      await strace.status;
      return null;
    }
    await sleep(200); // it attaches to the other threads one by one
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

/** Process `pid`'s sockets: descriptor → inode (/proc/PID/fd). */
function socketInodes(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(`/proc/${pid}/fd`)];
  } catch { /* ended */ }
  for (const { name } of entries) {
    try {
      const inode = Deno.readLinkSync(`/proc/${pid}/fd/${name}`)
        .match(/^socket:\[(\d+)\]$/)?.[1];
      if (inode) found.set(Number(name), inode);
    } catch { /* closed meanwhile */ }
  }
  return found;
}

function readProc(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** Starts the server being checked (plus `args`, e.g. a variant's flags). */
export type Launch = (args?: string[]) => Promise<RunningServer>;

/** A chapter's model check, as its `model.ts` exports it (`model`): the
 * promise in one line, and a check that throws an Error saying, in the
 * reader's terms, which part of the promise the server broke. The chapter's
 * server_test.ts and the exercise grader both run it, on every variant. */
export interface Model {
  promise: string;
  check(launch: Launch, variant: string): Promise<void>;
}

/** The chapter's model test: its `model` checked on each of its server
 * tasks (each a test of its own), as the exercise grader checks a reader's
 * server. */
export function testModel(chapter: Chapter, model: Model): void {
  for (const task of serverTasks(chapter)) {
    Deno.test(`${chapter.name} ${task}: the model: ${model.promise}`, () =>
      model.check((args = []) => startServer(chapter, task, args), task));
  }
}

/** A thread whose current call waits on some of the server's sockets. */
export interface Waiter {
  thread: ThreadState;
  /** How: directly (`accept(listener)`), through an epoll instance it
   * sleeps on, or through the set handed to select or poll. */
  via: "direct" | "epoll" | "select" | "poll";
  /** The server's sockets it waits on (listeners and clients). */
  fds: Set<number>;
  /** epoll: the instance, its masks, whether it is the runtime's. */
  epoll?: { epfd: number; masks: Map<number, number>; eventfd: boolean };
  /** select/poll: the descriptors it would wake for writable. */
  writable?: Set<number>;
}

/** Every thread of the server that is, right now, waiting on one of the
 * server's own sockets, and how. */
export function waiters(server: RunningServer): Waiter[] {
  const found: Waiter[] = [];
  const held = new Map<number, Set<number>>();
  const ours = (pid: number) => {
    if (!held.has(pid)) {
      const { listeners, clients } = sockets(server, pid);
      held.set(pid, new Set([...listeners, ...clients]));
    }
    return held.get(pid)!;
  };
  for (const thread of threads(server)) {
    const mine = ours(thread.pid);
    const fd = waitedFd(thread);
    if (thread.call.startsWith("epoll_")) {
      const watches = epollWatches(thread.pid, fd!);
      const fds = new Set([...watches.masks.keys()].filter((f) => mine.has(f)));
      if (fds.size) {
        found.push({
          thread,
          via: "epoll",
          fds,
          epoll: { epfd: fd!, ...watches },
        });
      }
    } else if (fd !== null) {
      if (mine.has(fd)) {
        found.push({ thread, via: "direct", fds: new Set([fd]) });
      }
    } else if (thread.call === "select" || thread.call === "pselect6") {
      const nfds = Number(thread.args[0]);
      const set = (arg: string) => {
        const at = BigInt(arg);
        if (at === 0n) return new Set<number>();
        const bits = readMemory(thread.pid, at, Math.ceil(nfds / 64) * 8);
        return new Set(
          Array.from({ length: nfds }, (_, f) => f)
            .filter((f) => bits[f >> 3] & (1 << (f & 7))),
        );
      };
      const read = set(thread.args[1]);
      const writable = set(thread.args[2]);
      const fds = new Set([...read, ...writable].filter((f) => mine.has(f)));
      if (fds.size) found.push({ thread, via: "select", fds, writable });
    } else if (thread.call === "poll" || thread.call === "ppoll") {
      const n = Number(thread.args[1]);
      const raw = readMemory(thread.pid, BigInt(thread.args[0]), n * 8);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const fds = new Set<number>(), writable = new Set<number>();
      for (let i = 0; i + 8 <= raw.byteLength; i += 8) {
        const f = view.getInt32(i, true), events = view.getInt16(i + 4, true);
        if (!mine.has(f)) continue;
        fds.add(f);
        if (events & 0x4) writable.add(f); // POLLOUT
      }
      if (fds.size) found.push({ thread, via: "poll", fds, writable });
    }
  }
  return found;
}

/** The waiters, looked for `looks` times a few dozen ms apart, until one
 * look finds every socket the server holds waited on (a thread busy with a
 * socket for a moment is not asleep on it); the last look otherwise. */
export async function settledWaiters(
  server: RunningServer,
  looks = 25,
): Promise<{ waiters: Waiter[]; unwatched: number[] }> {
  let last = { waiters: [] as Waiter[], unwatched: [] as number[] };
  for (let i = 0; i < looks; i++) {
    const now = waiters(server);
    const unwatched = processes(server).flatMap((pid) => {
      const { listeners, clients } = sockets(server, pid);
      const seen = new Set(
        now.filter((w) => w.thread.pid === pid).flatMap((w) => [...w.fds]),
      );
      return [...listeners, ...clients].filter((fd) => !seen.has(fd));
    });
    last = { waiters: now, unwatched };
    if (!unwatched.length) return last;
    await sleep(40);
  }
  return last;
}

/** The server's CPU once load is over: after `floodThenIdle`, with its
 * clients still connected. Throws `why` (the mechanism, in the chapter's
 * words) when it stays busy; returns the open connections otherwise. */
export async function expectQuietAfterLoad(
  server: RunningServer,
  why: string,
  load: { floods?: number; idle?: number } = {},
): Promise<Deno.TcpConn[]> {
  const conns = await floodThenIdle(server, load);
  await sleep(300);
  const before = threadClocks(server);
  await sleep(1_000);
  const spent = spentSince(before, server);
  const cpu = sum(spent, "runnable"), woke = sum(spent, "sleeps");
  // A loop that spins is runnable the whole time and never sleeps; one that
  // a timer wakes sleeps between wake-ups, and on a busy machine each
  // wake-up may also wait for a core, which counts as runnable too. So the
  // busiest thread's sleeps, not the CPU alone, tell the two apart.
  const busiest = [...spent.values()].reduce(
    (a, b) => b.runnable > a.runnable ? b : a,
    { runnable: 0, sleeps: 0 },
  );
  if (woke > 20 && (cpu <= 0.15 || busiest.sleeps > 20)) {
    conns.forEach((conn) => conn.close());
    throw new Error(
      `after ${
        load.floods ?? 2
      } client(s) stopped reading and then read everything, with ` +
        `${conns.length} clients connected and idle, your server's threads ` +
        `woke ${woke} times in 1 s: something wakes it with nothing to do (a ` +
        `wait with a timeout, a timer). Sleep until a socket is ready`,
    );
  }
  if (cpu > 0.15) {
    conns.forEach((conn) => conn.close());
    throw new Error(
      `after ${
        load.floods ?? 2
      } client(s) stopped reading and then read everything, with ` +
        `${conns.length} clients connected and idle, your server kept using ` +
        `${
          cpu.toFixed(2)
        } s of CPU per second (time on a core or waiting for one): ${why}`,
    );
  }
  return conns;
}

/** Sends `text` on `conn` and expects it back within 5 s. */
export async function ping(conn: Deno.TcpConn, text: string): Promise<void> {
  const sent = new TextEncoder().encode(text);
  await writeAll(conn, sent);
  const echo = await withTimeout(readExactly(conn, sent.length), 5_000, "echo")
    .catch(() => {
      throw new Error(`a client sent "${text}" and got no echo within 5 s`);
    });
  if (!equalBytes(echo, sent)) {
    throw new Error(`a client sent "${text}" and got back something else`);
  }
}

/** Whether `promise` settles (either way) within `ms`. */
export function settlesWithin(
  promise: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  const settled = promise.then(() => true, () => true);
  return withTimeout(settled, ms, "").catch(() => false);
}

/** Client A connects, is echoed, and stays idle; client B must be echoed
 * within 4 s anyway (a Worker or a process may take a moment to start on a
 * busy machine; a one-at-a-time server never answers). */
export async function servesTogether(server: RunningServer): Promise<void> {
  using a = await dial(server.port);
  await ping(a, "A");
  using b = await dial(server.port);
  await writeAll(b, new TextEncoder().encode("B"));
  if (!await settlesWithin(readExactly(b, 1), 4_000)) {
    throw new Error(
      `client B waited 4 s for its echo while A sat idle: your server ` +
        `serves one client at a time`,
    );
  }
}

/** The file status flags of descriptor `fd` of `pid` (O_NONBLOCK, O_ASYNC),
 * from /proc/PID/fdinfo. */
export function fdFlags(pid: number, fd: number): number {
  const info = readProc(`/proc/${pid}/fdinfo/${fd}`) ?? "";
  return parseInt(info.match(/^flags:\s+(\d+)/m)?.[1] ?? "0", 8);
}

/** Whether process `pid` catches signal number `signal` (SigCgt). */
export function catches(pid: number, signal: number): boolean {
  return (signalSet(pid, "SigCgt") & signalBit(signal)) !== 0n;
}

/** One signal set of a process, or of the calling thread
 * (`"thread-self"`), from its /proc status (proc(5)): `SigCgt` caught,
 * `SigBlk` blocked, `SigPnd` pending for the thread, `ShdPnd` pending for
 * the process. Test it with {@linkcode signalBit}. */
export function signalSet(
  of: number | "thread-self",
  field: "SigCgt" | "SigBlk" | "SigPnd" | "ShdPnd",
): bigint {
  const mask = (readProc(`/proc/${of}/status`) ?? "")
    .match(new RegExp(`^${field}:\\s+([0-9a-f]+)`, "m"))?.[1] ?? "0";
  return BigInt(`0x${mask}`);
}

/** Signal number `signal`'s bit in a signal set: bit N-1 is signal N. */
export function signalBit(signal: number): bigint {
  return 1n << BigInt(signal - 1);
}

/** What a stuck server looks like from outside, right now: a socket it
 * holds has bytes queued that it has not read while it has nothing on its
 * way out, the client has closed its side (CLOSE_WAIT) and the server has
 * not, or a listener's queue holds connections; null when none of these. Pair it with
 * "and it used no CPU meanwhile" to tell stuck from slow. */
export function unreadSocket(server: RunningServer): string | null {
  for (const pid of processes(server)) {
    const held = new Set(socketInodes(pid).values());
    const table = readProc(`/proc/${pid}/net/tcp`) ?? "";
    for (const line of table.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (!held.has(f[9])) continue;
      const [tx, rx] = (f[4] ?? "0:0").split(":").map((q) => parseInt(q, 16));
      if (f[3] === "0A") { // a listener's queue is its accept backlog
        if (rx > 0) {
          return `${rx} connection(s) wait in a listening socket's queue, ` +
            `and nothing accepts them`;
        }
        continue;
      }
      // Bytes still going out: the server waits for the client to read,
      // as it should (backpressure).
      if (tx > 0) continue;
      if (rx > 0) return `${rx} bytes from a client sit unread in its socket`;
      if (f[3] === "08") {
        return `a client closed its side, and your server has not closed ` +
          `the connection (CLOSE_WAIT)`;
      }
    }
  }
  return null;
}

/** What `raceStall` throws when the server is seen stuck. */
class Stalled extends Error {}

/** `work`, unless `stalled` resolves first: then a `Stalled` error saying
 * what was seen. */
function raceStall<T>(stalled: Promise<string>, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    stalled.then((stall) => Promise.reject(new Stalled(stall))),
  ]);
}

/** Resolves with a message once the server has looked stuck (see
 * `unreadSocket`) for `ms` with next to no CPU, or has exited; never
 * resolves otherwise. Stop it with the returned `stop`. */
export function watchForStall(
  server: RunningServer,
  ms = 1_500,
): { stalled: Promise<string>; stop: () => void } {
  const result = Promise.withResolvers<string>();
  let since: { at: number; cpu: number } | null = null;
  const timer = setInterval(() => {
    if (
      processes(server).every((pid) => readProc(`/proc/${pid}/stat`) === null)
    ) {
      return result.resolve("your server exited");
    }
    const symptom = unreadSocket(server);
    const cpu = sum(threadClocks(server), "runnable");
    if (!symptom || (since && cpu - since.cpu > 0.05)) {
      since = symptom ? { at: performance.now(), cpu } : null;
      return;
    }
    since ??= { at: performance.now(), cpu };
    if (performance.now() - since.at >= ms) {
      const asleep = threads(server).find((t) => t.tid === server.pid);
      result.resolve(
        `${symptom}, and for ${(ms / 1000).toFixed(1)} s your server did ` +
          `nothing about it` +
          (asleep && asleep.call !== "running"
            ? ` (its main thread sleeps in ${asleep.call})`
            : ""),
      );
    }
  }, 250);
  return { stalled: result.promise, stop: () => clearInterval(timer) };
}

/** One client writes `size` bytes at once and waits: the echo must come
 * back whole. Fails with `why` as soon as the server is seen sitting on the
 * unread rest (see `watchForStall`), or after `ms`. */
export async function expectWholeEcho(
  server: RunningServer,
  size: number,
  why: string,
  ms = 10_000,
): Promise<void> {
  using conn = await dial(server.port);
  const payload = randomBytes(size, size);
  const watch = watchForStall(server);
  try {
    const [echoed] = await Promise.race([
      withTimeout(
        Promise.all([readExactly(conn, size), writeAll(conn, payload)]),
        ms,
        "the echo",
      ),
      watch.stalled.then((stall) => Promise.reject(new Error(stall))),
    ]);
    if (!equalBytes(echoed, payload)) throw new Error("the echo differs");
  } catch (error) {
    throw new Error(
      `one client wrote ${size.toLocaleString("en")} bytes at once and then ` +
        `waited, and the whole echo did not come back ` +
        `(${(error as Error).message}): ${why}`,
    );
  } finally {
    watch.stop();
  }
}
