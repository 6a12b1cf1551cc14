/**
 * What this chapter states about itself, for the tracer and the site: see
 * `@echo-lab/lesson/facts`.
 *
 * @module
 */
import { ACCEPTS, type ChapterFacts } from "@echo-lab/lesson/facts";
import { readinessRead } from "@echo-lab/lesson/sequence";

export const facts: ChapterFacts = {
  loop: "server.ts:loop",
  family: "I/O multiplexing",
  trace: {
    claim:
      "the main thread sleeps in select for every socket at once; accept and recv never sleep",
    sleeps: [{ calls: ["select", "pselect6"], on: "main" }],
    neverSleeps: [...ACCEPTS, "recvfrom"],
  },
  sequence: readinessRead("select()", "scans every fd, none ready: sleeps"),
};
