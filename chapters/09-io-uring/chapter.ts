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
  // Zero-copy send is for large sends ("When zero-copy send pays" in the
  // README): 64 KiB messages, for the variant with it and the one without.
  bench: {
    cells: [{
      size: 65536,
      connections: [1, 100],
      tasks: ["server:modern", "server:zc"],
    }],
  },
};

/** What this chapter needs from the machine beyond Linux, for `deno task
 * doctor` (its shape: `ChapterNeeds` in harness/doctor.ts). */
export const needs = {
  kernel: [
    {
      version: "5.19",
      enables: "IORING_ASYNC_CANCEL_ANY (server.ts stops with it)",
    },
    {
      version: "6.1",
      enables:
        "multishot accept (5.19), multishot recv and buffer rings (6.0), DEFER_TASKRUN (6.1)",
      variant: "server:modern",
    },
  ],
  /** A trial io_uring_setup: null, or ENOSYS, or EPERM with who forbids it
   * and the fix. Loaded only when called: it binds libc. */
  probe: async (): Promise<string | null> =>
    (await import("./io_uring.ts")).ioUringUnavailable(),
};
