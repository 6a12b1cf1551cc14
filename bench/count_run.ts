/**
 * How `deno task bench` runs the counting pass (count.ts): as the last step
 * of a run, or alone with `--count`, when it writes a file of its own (never
 * into another run's results: one run, one file).
 *
 * @module
 */
import { join } from "node:path";
import { countPass, straceMissing } from "./count.ts";
import { countTable } from "./report.ts";
import type { CountRun, ServerResult } from "./results.ts";
import type { RunContext } from "./context.ts";
import type { BenchServer } from "./servers.ts";

/** The pass over `servers`, or undefined when strace is missing (then a note
 * says so). Each server is counted at the connections its capacity probe
 * held in `probed` (this run's results, or with `--count` alone the
 * committed run's). */
export async function countStep(
  ctx: RunContext,
  servers: BenchServer[],
  { backgroundCores, probed }: {
    backgroundCores: number;
    probed: ServerResult[];
  },
): Promise<CountRun | undefined> {
  const missing = await straceMissing();
  if (missing) {
    ctx.notes.push(missing);
    return undefined;
  }
  const held = (id: string) =>
    probed.find((s) => s.id === id)?.capacity?.held ?? null;
  return await countPass(ctx, servers, held, backgroundCores);
}

/** `--count` alone: writes `counts.json` and its table, `counts.md`, to
 * `out` (or a new temp dir). Returns what it wrote, for the console. */
export async function writeCounts(
  out: string | null,
  counts: CountRun,
): Promise<string> {
  const dir = out ?? await Deno.makeTempDir({ prefix: "echo-lab-count-" });
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, "counts.json");
  await Deno.writeTextFile(file, JSON.stringify(counts, null, 2) + "\n");
  await Deno.writeTextFile(join(dir, "counts.md"), countTable(counts) + "\n");
  return `wrote the counts of ${counts.servers.length} servers to ${file} ` +
    `and their table to counts.md beside it`;
}
