/**
 * What this chapter states about itself, for the tracer and the site: see
 * `@echo-lab/lesson/facts`.
 *
 * @module
 */
import { type ChapterFacts, READINESS_WAITS } from "@echo-lab/lesson/facts";
import { copyAndReturn } from "@echo-lab/lesson/sequence";

export const facts: ChapterFacts = {
  loop: "server.ts:loop",
  family: "non-blocking",
  trace: {
    claim:
      "the loop never sleeps: accept and recv return EAGAIN over and over, and no wait call is made",
    // Thousands of accept4 and recvfrom calls are the proof that neither
    // waits. Under strace on a loaded machine, one of thousands is sometimes
    // preempted mid-call for over 5 ms, which would read as a sleep.
    neverSleeps: [...READINESS_WAITS, "io_uring_enter"],
    atLeastCalls: { accept4: 200, recvfrom: 200 },
  },
  sequence: {
    name: "non-blocking I/O",
    appLane: "application (one thread)",
    gist:
      "recv() returns at once with EAGAIN until data is there: the thread asks again and again.",
    moments: [
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "call", label: "recv()" },
      },
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "return", label: "EAGAIN" },
        kernelNote: "no data yet",
      },
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "call", label: "recv()" },
        appNote: "asks again, burning CPU",
      },
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "return", label: "EAGAIN" },
        kernelNote: "still nothing",
      },
      ...copyAndReturn("recv()", {
        kernelNote: "data arrived: copies it to the user buffer",
      }),
    ],
  },
  // The loop spins by design, so the suites do not time its idle CPU.
  suites: { busy: true },
};
