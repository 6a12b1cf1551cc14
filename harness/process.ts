/**
 * Starting a chapter's server as a real process and looking at it from the
 * outside through /proc, the way an operator would.
 *
 * @module
 */
import { type Chapter, taskCommand } from "./chapters.ts";

/** A server process that has printed its ready line. */
export interface RunningServer extends AsyncDisposable {
  pid: number;
  port: number;
  host: string;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` and waits for the exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Resolves with the exit status when the process ends. */
  status: Promise<Deno.CommandStatus>;
}

const READY = /^listening on \[?([^\]]+?)\]?:(\d+)$/m;

/** Starts `task` of `chapter` on port 0 (plus `args`) and waits for the
 * `listening on HOST:PORT` line. */
export function startServer(
  chapter: Chapter,
  task = "server",
  args: string[] = [],
  options: {
    env?: Record<string, string>;
    readyTimeoutMs?: number;
    /** A command to run the server under, e.g. `["prlimit", "--nofile=64"]`. */
    wrapper?: string[];
    /** Another file of the chapter's folder to run in place of server.ts. */
    script?: string;
  } = {},
): Promise<RunningServer> {
  return startProcess(
    `${chapter.name} ${task}${options.script ? ` (${options.script})` : ""}`,
    [
      ...(options.wrapper ?? []),
      ...taskCommand(chapter, task, ["--port", "0", ...args]).map((arg) =>
        arg === "server.ts" ? options.script ?? arg : arg
      ),
    ],
    chapter.dir,
    options,
  );
}

/** Starts any server `command` (which must already ask for its port) in
 * `cwd` and waits for its ready line; `label` names it in errors. The bench
 * starts its reference servers (Node.js, C) with it. */
export async function startProcess(
  label: string,
  command: string[],
  cwd: string,
  options: { env?: Record<string, string>; readyTimeoutMs?: number } = {},
): Promise<RunningServer> {
  const [cmd, ...rest] = command;
  const child = new Deno.Command(cmd, {
    args: rest,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Deno looks for a newer release at start-up, a DNS query off this
    // machine; the suites talk to 127.0.0.1 only.
    env: { DENO_NO_UPDATE_CHECK: "1", ...options.env },
  }).spawn();
  let stdout = "", stderr = "";
  const ready = Promise.withResolvers<RegExpMatchArray>();
  const drain = async (
    stream: ReadableStream<Uint8Array>,
    append: (text: string) => void,
  ) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      append(text);
    }
  };
  const pumps = Promise.all([
    drain(child.stdout, (text) => {
      stdout += text;
      const match = stdout.match(READY);
      if (match) ready.resolve(match);
    }),
    drain(child.stderr, (text) => stderr += text),
  ]);
  const status = pumps.then(() => child.status);
  status.then((s) =>
    ready.reject(
      new Error(`${label} exited (${s.code}): ${stderr}`),
    )
  );
  // .ci/aarch64 raises the default: under qemu-user Deno starts many times
  // slower.
  const timeout = options.readyTimeoutMs ??
    Number(Deno.env.get("ECHO_LAB_READY_TIMEOUT_MS") ?? 30_000);
  const timer = setTimeout(
    () => ready.reject(new Error(`${label}: no ready line`)),
    timeout,
  );
  let match: RegExpMatchArray;
  try {
    match = await ready.promise;
  } catch (error) {
    killTree(child.pid);
    await status;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  let exited = false;
  status.then(() => exited = true);
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      if (!exited) child.kill(signal);
    } catch { /* it exited before `exited` was set */ }
    return (await status).code;
  };
  return {
    pid: child.pid,
    host: match[1],
    port: Number(match[2]),
    stderr: () => stderr,
    stop,
    status,
    async [Symbol.asyncDispose]() {
      if (exited) return;
      const timer = setTimeout(() => {
        if (!exited) killTree(child.pid);
      }, 5_000);
      await stop("SIGTERM");
      clearTimeout(timer);
    },
  };
}

/** Awaits `check` against `server`; when it fails, the error also says
 * whether the server is still running and what it wrote to stderr: the two
 * facts that tell a crashed server from one that dropped a connection. */
export async function explainFailure<T>(
  server: RunningServer,
  check: Promise<T>,
): Promise<T> {
  try {
    return await check;
  } catch (error) {
    const state = processState(server.pid);
    const running = state !== null && state !== "Z" ? "running" : "gone";
    const stderr = server.stderr() || "(nothing)\n";
    throw new Error(
      `${
        (error as Error).message
      }\nthe server is ${running}; its stderr:\n${stderr}`,
      { cause: error },
    );
  }
}

/** SIGKILLs `pid` and every process below it, children first: a wrapper
 * such as strace, killed alone, would leave the program it runs behind. */
export function killTree(pid: number): void {
  for (const target of [...descendants(pid).reverse(), pid]) {
    try {
      Deno.kill(target, "SIGKILL");
    } catch { /* already gone */ }
  }
}

/** Every live process whose parent chain leads to `pid`, found in /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = readProc(`/proc/${entry.name}/stat`);
    // Field 4 (ppid) follows the ")" that ends the command name.
    const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields) parents.set(Number(entry.name), Number(fields[1]));
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** The state letter of `pid` from /proc/PID/stat (`Z` for a zombie), or
 * null when it is gone. */
export function processState(pid: number): string | null {
  const stat = readProc(`/proc/${pid}/stat`);
  return stat ? stat[stat.lastIndexOf(")") + 2] : null;
}

/** Resident memory of `pid` in KiB (VmRSS from /proc/PID/status). */
export function rssKiB(pid: number): number {
  const status = readProc(`/proc/${pid}/status`) ?? "";
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? NaN);
}

/** Whether a process exists (zombies included: they still hold a pid). */
export function isAlive(pid: number): boolean {
  return readProc(`/proc/${pid}/stat`) !== null;
}

/** The number of threads of `pid` that belong to the program (/proc/PID/task). */
export function threadCount(pid: number): number {
  // tokio's blocking pool ("tokio-runtime-w") is left out: the runtime starts
  // those threads on demand and lets them go after ~10 s idle, whatever the
  // program does, so counting them makes thread counts drift.
  let count = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const comm = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/comm`);
      if (!comm.startsWith("tokio-runtime-w")) count++;
    } catch { /* the thread exited while we looked */ }
  }
  return count;
}

/** The number of open descriptors of `pid` (/proc/PID/fd). */
export function fdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Each thread of `pid`: its name and the number of the system call it is
 * in (/proc/PID/task/TID/comm and syscall; -1 while running user code, null
 * when the kernel does not say). On x86_64: 232 epoll_wait, 281 epoll_pwait,
 * 426 io_uring_enter, 202 futex. */
export function threadSyscalls(
  pid: number,
): { tid: number; name: string; syscall: number | null }[] {
  return [...Deno.readDirSync(`/proc/${pid}/task`)].map(({ name: tid }) => {
    const task = `/proc/${pid}/task/${tid}`;
    const first = readProc(`${task}/syscall`)?.split(" ")[0];
    return {
      tid: Number(tid),
      name: (readProc(`${task}/comm`) ?? "").trim(),
      syscall: first === "running" ? -1 : first ? Number(first) : null,
    };
  });
}

/** Seconds the main thread of `pid` has spent on a CPU (`running`) and
 * runnable but waiting for one (`waiting`), from
 * /proc/PID/task/PID/schedstat. A thread that never sleeps is always one or
 * the other, so their sum keeps pace with the clock however busy the machine
 * is; a thread asleep in a system call adds to neither. */
export function schedSeconds(
  pid: number,
): { running: number; waiting: number } {
  const [running, waiting] = readProc(`/proc/${pid}/task/${pid}/schedstat`)!
    .split(" ").map(Number);
  return { running: running / 1e9, waiting: waiting / 1e9 };
}

/** What `pid` does over the next `ms` milliseconds: CPU seconds used (all
 * threads), seconds its main thread was runnable (see `schedSeconds`), and
 * the wall-clock seconds the measurement actually took. */
export async function usageOver(
  pid: number,
  ms: number,
): Promise<{ cpu: number; runnable: number; wall: number }> {
  const started = performance.now();
  const cpu = cpuSeconds(pid);
  const sched = schedSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = schedSeconds(pid);
  return {
    cpu: cpuSeconds(pid) - cpu,
    runnable: (after.running - sched.running) +
      (after.waiting - sched.waiting),
    wall: (performance.now() - started) / 1_000,
  };
}

/** CPU seconds (user + system) `pid` has used, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === null) throw new Error(`process ${pid} is gone`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat: 11 and 12 after the name,
  // in clock ticks of 1/100 s (USER_HZ on Linux x86_64 and aarch64).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function readProc(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}
