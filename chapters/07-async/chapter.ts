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
  family: "I/O multiplexing",
  trace: {
    claim:
      "Deno's event loop sleeps in epoll_wait on the main thread; accept and recv never sleep",
    sleeps: [{ calls: ["epoll_wait", "epoll_pwait"], on: "main" }],
    neverSleeps: [...ACCEPTS, "recvfrom"],
  },
  sequence: {
    name: "async/await over an event loop",
    appLane: "event loop (one JS thread)",
    gist:
      "await parks the task; the runtime sleeps in epoll_wait, then reads and resumes the task.",
    moments: [
      {
        phase: "wait",
        app: "free",
        appNote: "await conn.read(): the task parks, others run",
      },
      {
        phase: "wait",
        app: "blocked",
        arrow: { kind: "call", label: "epoll_wait()" },
        appNote: "nothing to run: the thread sleeps",
        kernelNote: "no socket ready",
      },
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "return", label: "fd readable" },
        kernelNote: "a packet arrives",
      },
      ...copyAndReturn("read()", { appNote: "the task resumes after await" }),
    ],
  },
};
