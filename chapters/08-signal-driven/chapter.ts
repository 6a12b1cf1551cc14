/**
 * What this chapter states about itself, for the tracer and the site: see
 * `@echo-lab/lesson/facts`.
 *
 * @module
 */
import { ACCEPTS, type ChapterFacts } from "@echo-lab/lesson/facts";
import { copyAndReturn } from "@echo-lab/lesson/sequence";

export const facts: ChapterFacts = {
  loop: "server.ts:loop",
  family: "signal-driven",
  trace: {
    claim: "SIGIO reaches the server, and accept and recv never sleep",
    signals: ["SIGIO"],
    neverSleeps: [...ACCEPTS, "recvfrom"],
  },
  sequence: {
    name: "signal-driven I/O",
    appLane: "application (one thread)",
    gist:
      "The kernel sends SIGIO when data is there; only the copy blocks the thread.",
    moments: [
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "call", label: "fcntl(O_ASYNC)" },
      },
      {
        phase: "wait",
        app: "free",
        arrow: { kind: "return", label: "0" },
        appNote: "free to do other work",
        kernelNote: "waits for a packet",
      },
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "notify", label: "SIGIO" },
        kernelNote: "a packet arrives",
      },
      ...copyAndReturn("recv()"),
    ],
  },
};
