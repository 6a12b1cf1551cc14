/**
 * The fixed scenario every chapter is traced under: three clients that
 * connect at staggered times, each sending a few short messages, one of them
 * idle for a while in the middle. Every send and every completed echo is
 * stamped with the wall-clock time, on the same clock strace uses, so the
 * timeline can show the bytes beside the system calls.
 *
 * @module
 */
import {
  dial,
  readExactly,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";

/** A client's bytes leaving (`send`) or its echo arriving back (`echo`). */
export interface Mark {
  client: string;
  kind: "connect" | "send" | "echo" | "close";
  /** Seconds since the epoch. */
  time: number;
  text: string;
}

interface Plan {
  client: string;
  /** Seconds after the scenario starts. */
  startAt: number;
  /** Pause (seconds) before each message. */
  pauses: number[];
}

const PLANS: Plan[] = [
  { client: "A", startAt: 0.0, pauses: [0.05, 0.25, 0.25] },
  // B goes quiet for a second between its messages: a blocking server is
  // stuck waiting on it, an event loop is not.
  { client: "B", startAt: 0.2, pauses: [0.05, 1.0] },
  { client: "C", startAt: 0.4, pauses: [0.05, 0.2, 0.2] },
];

/** Seconds since the epoch, with microseconds (CLOCK_REALTIME, like strace
 * -ttt). */
export function now(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** Runs the scenario against `port` and returns the marks. Each echo has a
 * deadline, so a server that never answers ends the run instead of hanging
 * it; a one-client-at-a-time server simply makes the later clients wait. */
export async function runScenario(port: number): Promise<Mark[]> {
  const marks: Mark[] = [];
  await Promise.all(PLANS.map(async (plan) => {
    await sleep(plan.startAt * 1000);
    using conn = await dial(port);
    marks.push({ client: plan.client, kind: "connect", time: now(), text: "" });
    for (const [i, pause] of plan.pauses.entries()) {
      await sleep(pause * 1000);
      const text = `${plan.client}${i + 1}`;
      const bytes = new TextEncoder().encode(text);
      marks.push({ client: plan.client, kind: "send", time: now(), text });
      await writeAll(conn, bytes);
      await withTimeout(readExactly(conn, bytes.byteLength), 10_000, text);
      marks.push({ client: plan.client, kind: "echo", time: now(), text });
    }
    marks.push({ client: plan.client, kind: "close", time: now(), text: "" });
  }));
  return marks;
}
