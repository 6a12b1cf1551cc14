/**
 * What a chapter states about itself, beside its README in
 * `chapters/NN-name/chapter.ts`: the family of I/O model it belongs to, the
 * promise its trace must keep about where its threads sleep, and the
 * sequence its diagram draws. The tracer, the site, the bench and the
 * exercise grader read these from the chapter's folder (through
 * `loadFacts` in `@echo-lab/harness/facts`), so a new chapter needs no edit
 * elsewhere. A lesson imports this package, never the test machinery.
 *
 * @module
 */
import type { Sequence } from "./sequence.ts";

/** The five models of the classic comparison (Stevens, UNIX Network
 * Programming, figure 6.6), in its order. */
export const FAMILIES = [
  "blocking",
  "non-blocking",
  "I/O multiplexing",
  "signal-driven",
  "asynchronous",
] as const;
export type Family = typeof FAMILIES[number];

/** Where a lane of a trace belongs: the server's main thread, another thread
 * of the server process, or another process. */
export type LaneKind = "main" | "thread" | "process";

/** What a chapter's server promises about the system calls it sleeps in,
 * checked against a real trace by `trace/trace_test.ts`. */
export interface TracePromise {
  /** The promise, in one sentence, for the test name and the site. */
  claim: string;
  /** Each entry: one of `calls` slept on at least `atLeast` lanes of `on`. */
  sleeps?: { calls: string[]; on: LaneKind; atLeast?: number }[];
  /** None of these calls slept, on any lane, more than once (a single long
   * call may be preemption: see `REPEATED_SLEEPS` in trace/analyze.ts). */
  neverSleeps?: string[];
  /** Each of these calls was made at least this often. */
  atLeastCalls?: Record<string, number>;
  /** These signals reached the server. */
  signals?: string[];
}

/** A chapter's facts: what its `chapter.ts` exports as `facts`. */
export interface ChapterFacts {
  family: Family;
  trace: TracePromise;
  sequence: Sequence;
  /** The listing that holds the model's core loop, as `FILE:REGION`
   * (relative to the chapter's folder, e.g. `server.ts:loop`): the README
   * shows it early, as the lesson before the depth. */
  loop: string;
  /** Where this chapter departs, by design, from what the generic suites
   * (tests/robustness_test.ts) expect of every server; omitted: nowhere. */
  suites?: SuiteExceptions;
  /** What the bench measures for this chapter beyond every run's grid. */
  bench?: BenchFacts;
}

/** A chapter's own bench cells, read by bench/cells.ts. */
export interface BenchFacts {
  /** Closed-loop cells (each connection count × `size`) measured for
   * `tasks` of this chapter only, with the C reference in the same rounds so
   * that ratios to it exist: a lesson that needs a size the grid lacks (64 B
   * for everyone) pays for it alone. */
  cells: { size: number; connections: number[]; tasks: string[] }[];
}

/** A chapter's exceptions to the generic suites, stated by the chapter so
 * that no suite keeps a table keyed by chapter name. */
export interface SuiteExceptions {
  /** It serves one connection at a time: a second client waits its turn. */
  serial?: boolean;
  /** Its loop never sleeps: it uses a core even with nothing to do. */
  busy?: boolean;
  /** Connect/close cycles of the leak check for a server task (`server`,
   * `server:per-connection`) whose connections are costly to set up; the
   * others do the suite's default. */
  cycles?: Record<string, number>;
}

/** Taking a finished connection off the listener's queue. */
export const ACCEPTS = ["accept", "accept4"];

/** Sleeping until any of many descriptors is ready. */
export const READINESS_WAITS = [
  "poll",
  "ppoll",
  "select",
  "pselect6",
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
];
