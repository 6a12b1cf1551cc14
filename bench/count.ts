/**
 * The counting pass: what each server asks of the kernel per round trip.
 * Rates depend on the machine and on what else it is doing; how many system
 * calls a model makes per echo, and how often its threads go to sleep and
 * wake up, do not. Those are each chapter's argument in numbers.
 *
 * For each server, at 1, 100 and 1,000 connections of 64 B, closed loop,
 * the C load generator runs twice against one server process:
 *
 * 1. untraced: voluntary context switches of every thread of the server's
 *    process tree (/proc/PID/task/TID/status, proc(5)) over the load, and
 *    its threads. A voluntary switch is a thread that went to sleep in the
 *    kernel and was woken: a wake-up. strace stops a thread at every system
 *    call, which would add switches of its own, so none is attached here;
 * 2. traced: `strace -c -f` attached to every process of the tree (with -f,
 *    every thread, and any process or thread started meanwhile).
 *
 * Each window starts once the connections are made (and strace attached)
 * and ends before any closes; round trips in it are counted from the bytes
 * the server's sockets received (ss(8)). Tracing slows a server several
 * times over, and a slower server finds more sockets ready per wait, so a
 * multiplexing server's calls per round trip can read a little lower under
 * strace than without it; the traced rate is recorded beside the untraced
 * one to show by how much it was slowed.
 *
 * Run alone: `deno task bench --count [--chapters 06,09]`: its figures merge
 * into bench/results/latest.json and summary.md.
 *
 * @module
 */
import { join } from "node:path";
import { descendants, type RunningServer } from "@echo-lab/harness/process";
import { commonFlags, lastLine, type LoadgenEvent } from "./protocol.ts";
import { startServer } from "./supervise.ts";
import { describeErrors } from "./progress.ts";
import { estimate, type RunContext } from "./context.ts";
import type { BenchServer } from "./servers.ts";
import type { CountRow, CountRun, ServerCounts } from "./results.ts";

/** The connection counts every server is counted at. */
export const COUNT_CONNECTIONS = [1, 100, 1000];
/** The message size. */
export const COUNT_SIZE = 64;
/** The counting tool, as the results name it. */
export const COUNT_TOOL = "strace -c -f";
/** Each window's timed round: untraced (wake-ups), traced (system calls). */
const UNTRACED_MS = 1000, TRACED_MS = 2000;

/** One system call's line of `strace -c`. */
export interface SyscallCount {
  name: string;
  calls: number;
  errors: number;
}

/** The pass over `servers`; `held` says how many connections a server's
 * capacity probe held (null: not probed in this run). Progress advances by
 * the estimate of a server's pass (context.ts). */
export async function countPass(
  ctx: RunContext,
  servers: BenchServer[],
  held: (id: string) => number | null,
  backgroundCores: number,
): Promise<CountRun> {
  const counted: ServerCounts[] = [];
  for (const server of servers) {
    let counts: ServerCounts;
    try {
      counts = await countServer(ctx, server, held(server.id));
    } catch (error) {
      counts = { id: server.id, label: server.label, date: now(), rows: [] };
      ctx.notes.push(`counting ${server.label} failed: ${messageOf(error)}`);
    }
    counted.push(counts);
    ctx.progress.advance(estimate.count(), `counted ${server.label}`);
    ctx.progress.log(countLine(counts));
  }
  return { tool: COUNT_TOOL, backgroundCores, servers: counted };
}

/** One line per counted server, for the console. */
export function countLine(counts: ServerCounts): string {
  const cells = counts.rows.map((row) =>
    row.status === "ok"
      ? `${row.connections}: ${figure(row.syscallsPerRoundTrip!)} calls, ${
        figure(row.wakeupsPerRoundTrip!)
      } wake-ups`
      : `${row.connections}: ${row.status}${
        row.reason ? ` (${row.reason})` : ""
      }`
  );
  return `# ${counts.label} per round trip: ${cells.join("; ") || "none"}`;
}

/** A per-round-trip figure to 3 significant digits (0.00712, 2.54, 349). */
export function figure(n: number): string {
  if (n === 0) return "0";
  return n >= 100 ? Math.round(n).toLocaleString("en") : String(
    Number(n.toPrecision(3)),
  );
}

// #region count-server
/** Counts one server at every {@linkcode COUNT_CONNECTIONS} it can hold
 * (`held`, from the capacity probe, when known). */
export async function countServer(
  ctx: RunContext,
  server: BenchServer,
  held: number | null,
): Promise<ServerCounts> {
  const counts: ServerCounts = {
    id: server.id,
    label: server.label,
    date: now(),
    rows: [],
  };
  await using running = await startServer(ctx, server);
  await new Promise((resolve) => setTimeout(resolve, 500)); // done starting
  for (const connections of COUNT_CONNECTIONS) {
    const row = emptyRow(connections);
    counts.rows.push(row);
    if (held !== null && connections > held) {
      row.reason = `the capacity probe held ${held}`;
      continue;
    }
    ctx.progress.show(`count ${server.label}: ${connections} conn`);
    try {
      // Untraced first: wake-ups, threads.
      const calm = await countWindow(ctx, running, connections, false);
      row.threads = calm.threads;
      row.untracedRate = calm.rate;
      row.wakeupsPerRoundTrip = calm.switches / calm.roundTrips;
      row.untracedSyscallsPerRoundTrip = calm.calls === null
        ? null
        : calm.calls / calm.roundTrips;
      // Then under strace: system calls.
      const traced = await countWindow(ctx, running, connections, true);
      row.tracedRate = traced.rate;
      Object.assign(row, perRoundTrip(traced.syscalls, traced.roundTrips));
      row.status = "ok";
    } catch (error) {
      row.status = "failed";
      row.reason = messageOf(error);
    }
  }
  return counts;
}
// #endregion

/** What one window of load measured. */
interface Window {
  roundTrips: number;
  /** Round trips per second over the window. */
  rate: number;
  /** Voluntary context switches over the window (untraced windows). */
  switches: number;
  threads: number;
  /** strace's table (traced windows). */
  syscalls: SyscallCount[];
  /** Every system call, counted by perf (untraced windows; null without). */
  calls: number | null;
}

/** One window of `connections` in closed loop; `traced`: with strace
 * attached once they are connected. The load generator runs a long warm-up
 * that we end ourselves: the window is ours, between two readings of the
 * bytes the server's sockets have received (tcp_info's bytes_received, by
 * ss(8)), so round trips are counted, not estimated from a rate, and
 * neither connecting nor closing falls inside it. A server that keeps
 * calling while no byte moves (04's busy poll) is also counted during the
 * pauses at the window's edges. */
async function countWindow(
  ctx: RunContext,
  running: RunningServer,
  connections: number,
  traced: boolean,
): Promise<Window> {
  const settings = {
    ...ctx.settings,
    rounds: 1,
    roundMs: 10,
    warmupMs: 60_000,
  };
  const loadgen = new Deno.Command(ctx.loadgen[0], {
    args: [
      ...ctx.loadgen.slice(1),
      ...commonFlags(settings, running),
      "--phase=load",
      `--connections=${connections}`,
      `--size=${COUNT_SIZE}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    try {
      loadgen.kill("SIGKILL");
    } catch { /* already gone */ }
    await loadgen.status;
  };
  ctx.cleanups.add(stop);
  const stderr = new Response(loadgen.stderr).text();
  let strace: Strace | null = null;
  try {
    const connected = await firstEvent(loadgen.stdout, "connected");
    if (!connected) {
      throw new Error(`load generator failed: ${lastLine(await stderr)}`);
    }
    if (connected.echoed < connections) {
      throw new Error(
        `only ${connected.echoed} of ${connections} connections echoed: ` +
          describeErrors(connected.errors),
      );
    }
    // Each edge of the window is a pause: the load generator stopped
    // (SIGSTOP), the echoes in flight drained, the bytes read; strace is
    // attached and detached while nothing moves.
    const pause = async () => {
      loadgen.kill("SIGSTOP");
      return await drained(running.port);
    };
    const bytes0 = await pause();
    const perf = traced ? null : PerfCounter.start(tree(running.pid));
    await perf?.enable();
    if (traced) {
      strace = Strace.attach(tree(running.pid));
      await strace.attached();
    }
    const switches0 = voluntarySwitches(running.pid);
    loadgen.kill("SIGCONT");
    const started = performance.now();
    await new Promise((r) => setTimeout(r, traced ? TRACED_MS : UNTRACED_MS));
    const bytes1 = await pause();
    await perf?.disable();
    const calls = perf ? await perf.total() : null;
    const seconds = (performance.now() - started) / 1000;
    const switches = voluntarySwitches(running.pid) - switches0;
    const threads = tree(running.pid).reduce((n, pid) => n + taskCount(pid), 0);
    const syscalls = strace ? await strace.result() : [];
    const roundTrips = (bytes1 - bytes0) / COUNT_SIZE;
    if (roundTrips <= 0) throw new Error("no round trip in the window");
    return {
      roundTrips,
      rate: roundTrips / seconds,
      switches,
      threads,
      syscalls,
      calls,
    };
  } finally {
    strace?.detach();
    try {
      loadgen.kill("SIGCONT"); // so that SIGKILL is not held up
    } catch { /* gone */ }
    await stop();
    ctx.cleanups.delete(stop);
    await stderr;
  }
}

/** Reads the load generator's JSON lines up to the first `kind` event. */
async function firstEvent(
  stdout: ReadableStream<Uint8Array>,
  kind: "connected",
): Promise<Extract<LoadgenEvent, { event: "connected" }> | null> {
  let buffered = "";
  for await (const text of stdout.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as LoadgenEvent;
      if (event.event === kind) return event;
    }
  }
  return null;
}

/** Bytes received and sent so far by the established TCP sockets on local
 * `port`: the sums of tcp_info's bytes_received and bytes_sent (RFC 4898),
 * as ss(8) shows them. */
export async function socketBytes(
  port: number,
): Promise<{ received: number; sent: number }> {
  const { stdout, success } = await new Deno.Command("ss", {
    args: ["-tinH", "state", "established", `( sport = :${port} )`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) throw new Error("ss failed");
  return sumSocketBytes(new TextDecoder().decode(stdout));
}

/** The sums of every `bytes_received:N` and `bytes_sent:N` in ss's output
 * (ss leaves out a counter that is still 0). */
export function sumSocketBytes(ss: string): { received: number; sent: number } {
  let received = 0, sent = 0;
  for (const m of ss.matchAll(/\bbytes_(received|sent):(\d+)/g)) {
    if (m[1] === "received") received += +m[2];
    else sent += +m[2];
  }
  return { received, sent };
}

/** The bytes received once every echo in flight has been echoed: the
 * server has sent all it received, and nothing more arrives. Waits at most
 * about 10 s. */
async function drained(port: number): Promise<number> {
  let previous = -1;
  for (let i = 0; i < 500; i++) {
    const { received, sent } = await socketBytes(port);
    if (received === sent && received === previous) return received;
    previous = received;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the server never caught up with the echoes in flight");
}

/**
 * `perf stat` counting the raw_syscalls:sys_enter tracepoint (every system
 * call's entry) in some processes, started disabled and switched on and off
 * through its control fifos (perf-stat(1), --control): the kernel counts,
 * and no thread is ever stopped, so this is the untraced count, and the
 * one true to a busy-polling server, whose spinning strace slows down.
 */
class PerfCounter {
  readonly #child: Deno.ChildProcess;
  readonly #dir: string;
  readonly #stderr: Promise<string>;

  private constructor(pids: number[]) {
    this.#dir = Deno.makeTempDirSync({ prefix: "echo-lab-perf-" });
    for (const fifo of ["ctl", "ack"]) {
      new Deno.Command("mkfifo", { args: [join(this.#dir, fifo)] })
        .outputSync();
    }
    this.#child = new Deno.Command("perf", {
      args: [
        "stat",
        "-x,",
        "-D",
        "-1", // start disabled
        `--control=fifo:${join(this.#dir, "ctl")},${join(this.#dir, "ack")}`,
        "-e",
        "raw_syscalls:sys_enter",
        "-p",
        pids.join(","),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** A counter over `pids`, or null when perf cannot count here. */
  static start(pids: number[]): PerfCounter | null {
    try {
      return new PerfCounter(pids);
    } catch {
      return null; // no perf, no mkfifo
    }
  }

  /** Sends `command` (enable, disable) and waits for perf's ack. */
  async #send(command: string): Promise<void> {
    const ctl = await Deno.open(join(this.#dir, "ctl"), { write: true });
    await ctl.write(new TextEncoder().encode(`${command}\n`));
    ctl.close();
    const ack = await Deno.open(join(this.#dir, "ack"), { read: true });
    await ack.read(new Uint8Array(8));
    ack.close();
  }

  enable(): Promise<void> {
    return this.#send("enable");
  }

  disable(): Promise<void> {
    return this.#send("disable");
  }

  /** Stops perf; the calls counted while enabled, or null. */
  async total(): Promise<number | null> {
    try {
      this.#child.kill("SIGINT");
    } catch { /* gone */ }
    await this.#child.status;
    const text = await this.#stderr;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    const m = text.match(/^(\d+),[^,]*,raw_syscalls:sys_enter/m);
    return m ? Number(m[1]) : null;
  }
}

/** `strace -c -f` attached to some processes, summing into a temp file. */
class Strace {
  readonly #child: Deno.ChildProcess;
  readonly #output: string;
  readonly #stderr: Promise<string>;
  #detached = false;
  #attached = Promise.withResolvers<void>();

  private constructor(pids: number[]) {
    this.#output = Deno.makeTempFileSync({ prefix: "echo-lab-count-" });
    const child = this.#child = new Deno.Command("strace", {
      args: [
        "-c",
        "-f",
        "-o",
        this.#output,
        ...pids.flatMap((p) => ["-p", `${p}`]),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // "strace: Process N attached [with M threads]", one line per -p.
    this.#stderr = (async () => {
      let text = "";
      for await (
        const chunk of child.stderr.pipeThrough(new TextDecoderStream())
      ) {
        text += chunk;
        if ((text.match(/ attached/g) ?? []).length >= pids.length) {
          this.#attached.resolve();
        }
      }
      this.#attached.reject(new Error(`strace: ${lastLine(text)}`));
      return text;
    })();
  }

  static attach(pids: number[]): Strace {
    return new Strace(pids);
  }

  /** Resolves once strace has attached to every process. */
  attached(): Promise<void> {
    return this.#attached.promise;
  }

  /** SIGINT: strace detaches and writes its table. */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    try {
      this.#child.kill("SIGINT");
    } catch { /* already gone */ }
  }

  /** Detaches; strace's table, once it has exited. */
  async result(): Promise<SyscallCount[]> {
    this.detach();
    const [status, stderr] = await Promise.all([
      this.#child.status,
      this.#stderr,
    ]);
    try {
      const table = await Deno.readTextFile(this.#output);
      if (!status.success && !table.includes("total")) {
        throw new Error(`strace failed: ${stderr.trim().split("\n").at(-1)}`);
      }
      return parseStraceCounts(table);
    } finally {
      await Deno.remove(this.#output).catch(() => {});
    }
  }
}

/**
 * The rows of a `strace -c` table (columns `% time, seconds, usecs/call,
 * calls, errors, syscall`; errors blank when none), without the total.
 */
export function parseStraceCounts(table: string): SyscallCount[] {
  const counts: SyscallCount[] = [];
  for (const line of table.split("\n")) {
    const m = line.match(
      /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?([a-z_0-9]+)\s*$/,
    );
    if (m && m[3] !== "total") {
      counts.push({ name: m[3], calls: +m[1], errors: +(m[2] ?? 0) });
    }
  }
  return counts;
}

/** Calls per round trip in all, and the three most frequent. */
export function perRoundTrip(
  syscalls: SyscallCount[],
  roundTrips: number,
): Pick<CountRow, "syscallsPerRoundTrip" | "top"> {
  const total = syscalls.reduce((n, s) => n + s.calls, 0);
  return {
    syscallsPerRoundTrip: total / roundTrips,
    top: [...syscalls].sort((a, b) => b.calls - a.calls).slice(0, 3).map(
      (s) => ({
        name: s.name,
        perRoundTrip: s.calls / roundTrips,
        errorsPerRoundTrip: s.errors / roundTrips,
      }),
    ),
  };
}

/** Voluntary context switches of every thread of `pid` and the processes
 * it started, so far (proc(5): voluntary_ctxt_switches). */
export function voluntarySwitches(pid: number): number {
  let total = 0;
  for (const process of tree(pid)) {
    for (const tid of tasks(process)) {
      const status = readOr(`/proc/${process}/task/${tid}/status`);
      total += Number(
        status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)?.[1] ?? 0,
      );
    }
  }
  return total;
}

function now(): string {
  return new Date().toISOString();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function tree(pid: number): number[] {
  return [pid, ...descendants(pid)];
}

function tasks(pid: number): string[] {
  try {
    return [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
  } catch {
    return []; // exited while we looked
  }
}

function taskCount(pid: number): number {
  return tasks(pid).length;
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

function emptyRow(connections: number): CountRow {
  return {
    connections,
    size: COUNT_SIZE,
    status: "not run",
    reason: null,
    syscallsPerRoundTrip: null,
    untracedSyscallsPerRoundTrip: null,
    top: [],
    wakeupsPerRoundTrip: null,
    threads: null,
    tracedRate: null,
    untracedRate: null,
  };
}

/** Where `strace` would come from, for a note when it is missing. */
export async function straceMissing(): Promise<string | null> {
  try {
    await new Deno.Command("strace", { args: ["-V"], stdout: "null" }).output();
    return null;
  } catch {
    return "counting pass not run: `strace` is not installed " +
      "(apt-get install strace).";
  }
}
