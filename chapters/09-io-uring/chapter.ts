/**
 * What this chapter states about itself, for the tracer and the site: see
 * `@echo-lab/lesson/facts`.
 *
 * @module
 */
import { ACCEPTS, type ChapterFacts } from "@echo-lab/lesson/facts";

export const facts: ChapterFacts = {
  loop: "server.ts:loop",
  family: "asynchronous",
  trace: {
    claim:
      "the main thread sleeps in io_uring_enter, never in epoll_wait, accept or recv",
    sleeps: [{ calls: ["io_uring_enter"], on: "main" }],
    neverSleeps: ["epoll_wait", "epoll_pwait", ...ACCEPTS, "recvfrom"],
  },
  sequence: {
    name: "asynchronous I/O (io_uring)",
    appLane: "application (one thread)",
    gist:
      "The thread submits the read and moves on; the kernel waits, copies, and posts a completion.",
    moments: [
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "call", label: "io_uring_enter()" },
        appNote: "submits a recv request",
      },
      {
        phase: "wait",
        app: "free",
        arrow: { kind: "return", label: "submitted" },
        appNote: "free to do other work",
        kernelNote: "waits for a packet",
      },
      {
        phase: "copy",
        app: "free",
        kernelNote: "copies it to our buffer by itself",
      },
      {
        phase: "done",
        app: "running",
        arrow: { kind: "notify", label: "CQE: n bytes" },
        appNote: "finds the bytes already in place",
      },
    ],
  },
};
