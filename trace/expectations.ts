/**
 * Checks a chapter's trace promise (its `chapter.ts`: see
 * `@echo-lab/lesson/facts`) against a trace's summary.
 *
 * @module
 */
import type { LaneKind, TracePromise } from "@echo-lab/lesson/facts";
import { REPEATED_SLEEPS, type SleepSummary } from "./analyze.ts";

/** The ways `summary` breaks `expectation`; empty when it keeps it. */
export function violations(
  expectation: TracePromise,
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
    const times = summary.sleeps[call] ?? 0;
    if (times >= REPEATED_SLEEPS) {
      problems.push(
        `${call} slept ${times} times on ${summary.sleptIn[call].join(", ")}`,
      );
    }
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
