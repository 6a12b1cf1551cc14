/**
 * What this chapter states about itself, for the tracer and the site: see
 * `@echo-lab/lesson/facts`.
 *
 * @module
 */
import {
  ACCEPTS,
  type ChapterFacts,
  READINESS_WAITS,
} from "@echo-lab/lesson/facts";
import { blockingRead } from "@echo-lab/lesson/sequence";

export const facts: ChapterFacts = {
  loop: "server.ts:loop",
  family: "blocking",
  trace: {
    claim:
      "the main thread sleeps in accept and in recv, and never waits on many sockets at once",
    sleeps: [{ calls: ACCEPTS, on: "main" }, {
      calls: ["recvfrom"],
      on: "main",
    }],
    neverSleeps: [...READINESS_WAITS, "io_uring_enter"],
  },
  sequence: blockingRead("application (one thread)", "asleep in recv()"),
  // One connection at a time: the suites give a second client no turn.
  suites: { serial: true },
};
