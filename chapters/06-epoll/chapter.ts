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
    claim: "the main thread sleeps in epoll_wait; accept and recv never sleep",
    sleeps: [{ calls: ["epoll_wait", "epoll_pwait"], on: "main" }],
    neverSleeps: [...ACCEPTS, "recvfrom", "poll", "select", "pselect6"],
  },
  sequence: readinessRead("epoll_wait()", "ready list empty: sleeps"),
};
