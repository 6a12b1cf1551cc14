/**
 * What each chapter's model promises about where its threads sleep, checked
 * against a real trace by `trace_test.ts`. A new chapter must add its
 * promise here: the test fails for a chapter it knows nothing about.
 *
 * @module
 */
import type { SleepSummary } from "./analyze.ts";
import { ACCEPTS, READINESS_WAITS } from "./calls.ts";

/** Where a lane belongs: the server's main thread, another thread of the
 * server process, or another process. */
export type LaneKind = "main" | "thread" | "process";

export interface Expectation {
  /** The promise, in one sentence, for the test name and the site. */
  claim: string;
  /** Each entry: one of `calls` slept on at least `atLeast` lanes of `on`. */
  sleeps?: { calls: string[]; on: LaneKind; atLeast?: number }[];
  /** None of these calls ever slept, on any lane. */
  neverSleeps?: string[];
  /** Each of these calls was made at least this often. */
  atLeastCalls?: Record<string, number>;
  /** These signals reached the server. */
  signals?: string[];
}

const WAITS = [...READINESS_WAITS, "io_uring_enter"];

export const EXPECTATIONS: Record<string, Expectation> = {
  "01-blocking": {
    claim:
      "the main thread sleeps in accept and in recv, and never waits on many sockets at once",
    sleeps: [{ calls: ACCEPTS, on: "main" }, {
      calls: ["recvfrom"],
      on: "main",
    }],
    neverSleeps: WAITS,
  },
  "02-threaded": {
    claim:
      "the main thread sleeps in accept while several worker threads sleep in recv at the same time",
    sleeps: [{ calls: ACCEPTS, on: "main" }, {
      calls: ["recvfrom"],
      on: "thread",
      atLeast: 2,
    }],
  },
  "03-process": {
    claim: "several worker processes each sleep in accept or recv on their own",
    sleeps: [{ calls: [...ACCEPTS, "recvfrom"], on: "process", atLeast: 2 }],
  },
  "04-nonblocking": {
    claim:
      "the loop never sleeps: accept and recv return EAGAIN over and over, and no wait call is made",
    // Thousands of accept4 and recvfrom calls are the proof that neither
    // waits. Under strace on a loaded machine, one of thousands is sometimes
    // preempted mid-call for over 5 ms, which would read as a sleep.
    neverSleeps: WAITS,
    atLeastCalls: { accept4: 200, recvfrom: 200 },
  },
  "05-select": {
    claim:
      "the main thread sleeps in select for every socket at once; accept and recv never sleep",
    sleeps: [{ calls: ["select", "pselect6"], on: "main" }],
    neverSleeps: [...ACCEPTS, "recvfrom"],
  },
  "06-epoll": {
    claim: "the main thread sleeps in epoll_wait; accept and recv never sleep",
    sleeps: [{ calls: ["epoll_wait", "epoll_pwait"], on: "main" }],
    neverSleeps: [...ACCEPTS, "recvfrom", "poll", "select", "pselect6"],
  },
  "07-async": {
    claim:
      "Deno's event loop sleeps in epoll_wait on the main thread; accept and recv never sleep",
    sleeps: [{ calls: ["epoll_wait", "epoll_pwait"], on: "main" }],
    neverSleeps: [...ACCEPTS, "recvfrom"],
  },
  "08-signal-driven": {
    claim: "SIGIO reaches the server, and accept and recv never sleep",
    signals: ["SIGIO"],
    neverSleeps: [...ACCEPTS, "recvfrom"],
  },
  "09-io-uring": {
    claim:
      "the main thread sleeps in io_uring_enter, never in epoll_wait, accept or recv",
    sleeps: [{ calls: ["io_uring_enter"], on: "main" }],
    neverSleeps: ["epoll_wait", "epoll_pwait", ...ACCEPTS, "recvfrom"],
  },
};

/** The ways `summary` breaks `expectation`; empty when it keeps it. */
export function violations(
  expectation: Expectation,
  summary: SleepSummary,
): string[] {
  const problems: string[] = [];
  for (const { calls, on, atLeast = 1 } of expectation.sleeps ?? []) {
    const lanes = new Set(
      calls.flatMap((call) => summary.sleptIn[call] ?? []).filter((label) =>
        laneKind(label) === on
      ),
    );
    if (lanes.size < atLeast) {
      problems.push(
        `expected ${
          calls.join("/")
        } to sleep on ${atLeast} ${on} lane(s), saw ${lanes.size}`,
      );
    }
  }
  for (const call of expectation.neverSleeps ?? []) {
    const where = summary.sleptIn[call];
    if (where?.length) problems.push(`${call} slept on ${where.join(", ")}`);
  }
  for (const [call, count] of Object.entries(expectation.atLeastCalls ?? {})) {
    const made = summary.counts[call] ?? 0;
    if (made < count) {
      problems.push(`expected ${count}+ ${call} calls, saw ${made}`);
    }
  }
  for (const signal of expectation.signals ?? []) {
    if (!summary.signals[signal]) problems.push(`no ${signal} was delivered`);
  }
  return problems;
}

/** The kind of lane a label from `analyze.ts` names. */
export function laneKind(label: string): LaneKind {
  if (label === "main thread") return "main";
  return label.includes("process") ? "process" : "thread";
}
