/**
 * Process supervision: a server started for one measurement is stopped with
 * everything it started, so no stray worker skews the next one.
 *
 * @module
 */
import {
  descendants,
  processState,
  type RunningServer,
} from "@echo-lab/harness/process";
import type { BenchServer } from "./servers.ts";
import type { RunContext } from "./context.ts";

/** Starts a server; disposing of it stops it with SIGTERM (SIGKILL after
 * 5 s) and then kills any process it started and left behind, noting it.
 * Ctrl-C does the same. */
export async function startServer(
  ctx: RunContext,
  server: BenchServer,
): Promise<RunningServer> {
  const running = await server.start();
  const stop = async () => {
    const family = descendants(running.pid);
    await running[Symbol.asyncDispose]();
    const left = family.filter((pid) => (processState(pid) ?? "Z") !== "Z");
    for (const pid of left) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone meanwhile */ }
    }
    if (left.length) {
      ctx.notes.push(
        `${server.label} left ${left.length} process(es) running after ` +
          `SIGTERM; the bench killed them.`,
      );
    }
  };
  ctx.cleanups.add(stop);
  return {
    ...running,
    [Symbol.asyncDispose]: () => {
      ctx.cleanups.delete(stop);
      return stop();
    },
  };
}
