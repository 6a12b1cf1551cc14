/**
 * Turning a recording into lanes (the server threads and processes that did
 * socket work) and into the facts the model tests check: who slept, where.
 *
 * @module
 */
import { type Call, firstFd } from "./strace.ts";
import type { Recording } from "./record.ts";
import { READINESS_WAITS } from "@echo-lab/lesson/facts";
import { TRANSFERS } from "./calls.ts";

/** A call counts as a sleep when the thread spent this long inside it. */
export const SLEEP_SECONDS = 0.005;

/** How many sleeps in one call make it a call the model sleeps in. A call
 * that "slept" once may only have been preempted (strace -T times a call
 * from its entry stop to its exit stop, so a tracer or tracee left off the
 * CPU on a busy machine stretches it); a model's sleeps repeat. */
export const REPEATED_SLEEPS = 2;

const WAITS = new Set(READINESS_WAITS);
const TRANSFER_CALLS = new Set(TRANSFERS);

/** One thread's row on the timeline. */
export interface Lane {
  tid: number;
  pid: number;
  label: string;
  calls: Call[];
}

/** The threads that accepted or moved bytes for sockets, in the order they
 * first did so, with their waits. Deno's own machinery is left out: its V8
 * helper threads (futex only), its signal self-pipe (1-byte recvfrom and
 * sendto), and event loops that only wait (the stop-signal watchdog). */
export function lanes(recording: Recording): Lane[] {
  const pidOf = (tid: number) => recording.threads.get(tid)?.pid ?? tid;
  const plumbing = plumbingFds(recording.calls, pidOf);
  // Accepting, moving echo bytes, or submitting to io_uring: the work that
  // makes a thread one of the server's lanes. A thread that only ever waits
  // (the stop-signal watchdog's event loop) is not one.
  const isEchoWork = (call: Call) =>
    call.name.startsWith("accept") || call.name === "io_uring_enter" ||
    (TRANSFER_CALLS.has(call.name) &&
      !plumbing.has(`${pidOf(call.tid)} ${firstFd(call)}`));
  const isSocketWork = (call: Call) => isEchoWork(call) || WAITS.has(call.name);
  const byTid = new Map<number, Call[]>();
  for (const call of recording.calls) {
    if (!byTid.has(call.tid)) byTid.set(call.tid, []);
    byTid.get(call.tid)!.push(call);
  }
  const result: Lane[] = [];
  for (const [tid, calls] of byTid) {
    if (!calls.some(isEchoWork)) continue;
    const pid = pidOf(tid);
    result.push({
      tid,
      pid,
      label: label(recording, tid, pid),
      calls: calls.filter((call) =>
        isSocketWork(call) || (call.name === "futex" && sleeps(call))
      ),
    });
  }
  return result.sort((a, b) => a.calls[0].start - b.calls[0].start);
}

/** Deno's signal handling sends single bytes through a socket pair of its
 * own: runtime plumbing, not the echo. Every fd that ever carries a 1-byte
 * transfer is such a pipe (the echo clients send two bytes at a time). */
function plumbingFds(calls: Call[], pidOf: (tid: number) => number) {
  const fds = new Set<string>();
  for (const call of calls) {
    if (
      TRANSFER_CALLS.has(call.name) && /^\d+,\s*[^,]*,\s*1,/.test(call.args)
    ) {
      fds.add(`${pidOf(call.tid)} ${firstFd(call)}`);
    }
  }
  return fds;
}

/** Whether the thread stayed inside the call long enough to call it asleep. */
export function sleeps(call: Call): boolean {
  return call.duration >= SLEEP_SECONDS;
}

/** What the model tests read: per call name, the lanes it slept on. */
export interface SleepSummary {
  /** call name → labels of the lanes where it slept */
  sleptIn: Record<string, string[]>;
  /** call name → how many times it slept, on any lane */
  sleeps: Record<string, number>;
  /** call name → how many times it was made on any lane */
  counts: Record<string, number>;
  /** processes that did socket work */
  processes: number;
  /** threads that did socket work */
  threads: number;
  /** signals delivered to the server, by name */
  signals: Record<string, number>;
}

export function summarize(recording: Recording): SleepSummary {
  const laneList = lanes(recording);
  const sleptIn: Record<string, string[]> = {};
  const sleepCounts: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const lane of laneList) {
    for (const call of lane.calls) {
      counts[call.name] = (counts[call.name] ?? 0) + 1;
      if (!sleeps(call)) continue;
      sleepCounts[call.name] = (sleepCounts[call.name] ?? 0) + 1;
      sleptIn[call.name] ??= [];
      if (!sleptIn[call.name].includes(lane.label)) {
        sleptIn[call.name].push(lane.label);
      }
    }
  }
  const signals: Record<string, number> = {};
  for (const { signal } of recording.signals) {
    signals[signal] = (signals[signal] ?? 0) + 1;
  }
  return {
    sleptIn,
    sleeps: sleepCounts,
    counts,
    processes: new Set(laneList.map((lane) => lane.pid)).size,
    threads: laneList.length,
    signals,
  };
}

/** The family a call belongs to, for colours and annotations. */
export function family(
  name: string,
): "accept" | "recv" | "send" | "wait" | "uring" | "thread" {
  if (name.startsWith("accept")) return "accept";
  if (name.startsWith("recv")) return "recv";
  if (name.startsWith("send")) return "send";
  if (name === "io_uring_enter") return "uring";
  if (WAITS.has(name)) return "wait";
  return "thread";
}

function label(recording: Recording, tid: number, pid: number): string {
  const comm = recording.threads.get(tid)?.comm ?? "thread";
  if (pid === recording.serverPid) {
    return tid === pid ? "main thread" : `${comm} ${tid}`;
  }
  return tid === pid ? `process ${pid}` : `${comm} ${tid} (process ${pid})`;
}
