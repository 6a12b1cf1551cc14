/**
 * The quiet check: a figure is only worth comparing when nothing else ran
 * beside it. Every measurement reports what the rest of the machine used
 * meanwhile (the CPU of every other task, counted task by task, steal
 * included, ksoftirqd's share of the echo's own packets not: `otherCores`,
 * see `other_tasks_seconds` in loadgen/loadgen.c); one above QUIET_LIMIT is made again, a
 * bounded number of times, and one that stays noisy is named.
 *
 * @module
 */
import { QUIET_LIMIT, type RunContext } from "./context.ts";

/** A measurement made until the machine was quiet beside it. */
export interface Quiet<T> {
  /** The attempt with the least other work. */
  value: T;
  /** How many attempts were made. */
  attempts: number;
}

/** Runs `measure` up to `ctx.attempts` times, until `otherOf` its result is
 * at most QUIET_LIMIT cores; keeps the quietest attempt. When every attempt
 * was noisy, records it in `ctx.noisy` as `what` of `server` (an id). Errors
 * are not retried. */
export async function untilQuiet<T>(
  ctx: RunContext,
  server: string,
  what: string,
  measure: () => Promise<T>,
  otherOf: (value: T) => number,
): Promise<Quiet<T>> {
  let best: { value: T; other: number } | null = null;
  let attempts = 0;
  while (attempts < ctx.attempts) {
    attempts++;
    const value = await measure();
    const other = otherOf(value);
    if (!best || other < best.other) best = { value, other };
    if (other <= QUIET_LIMIT) break;
    ctx.progress.log(
      `  ${server}, ${what}: ${
        other.toFixed(2)
      } cores of other work beside it` +
        (attempts < ctx.attempts ? ", measuring again" : ""),
    );
  }
  if (best!.other > QUIET_LIMIT) {
    ctx.noisy.push({
      server,
      what,
      otherCores: Number(best!.other.toFixed(3)),
      attempts,
    });
  }
  return { value: best!.value, attempts };
}

/** The noisy measurements, one line each, for the console. */
export function describeNoise(ctx: Pick<RunContext, "noisy">): string[] {
  return ctx.noisy.map((n) =>
    `${n.server}, ${n.what}: ${n.otherCores.toFixed(2)} cores of other work ` +
    `(${n.attempts} attempt${n.attempts === 1 ? "" : "s"})`
  );
}
