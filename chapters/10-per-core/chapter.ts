/**
 * What this chapter states about itself, for the tracer and the site: see
 * `@echo-lab/lesson/facts`.
 *
 * @module
 */
import { ACCEPTS, type ChapterFacts } from "@echo-lab/lesson/facts";
import { readinessRead } from "@echo-lab/lesson/sequence";

export const facts: ChapterFacts = {
  loop: "loop.ts:loop",
  family: "I/O multiplexing",
  trace: {
    claim:
      "the loops sleep in epoll_wait, each on a worker thread of its own; accept and recv never sleep",
    // At least one loop: the scenario's three clients are spread by a hash
    // of their ports, and all three land on one loop one run in four. The
    // model test (server_test.ts) checks every loop's thread.
    sleeps: [{ calls: ["epoll_wait", "epoll_pwait"], on: "thread" }],
    neverSleeps: [...ACCEPTS, "recvfrom", "poll", "select", "pselect6"],
  },
  sequence: {
    ...readinessRead("epoll_wait()", "this loop's ready list empty: sleeps"),
    name: "I/O multiplexing, one loop per core",
    appLane: "one loop of N (a thread per core)",
    gist:
      "Each core's thread sleeps in its own epoll_wait on the sockets it accepted, then reads only the ready ones.",
  },
};
