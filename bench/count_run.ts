/**
 * How `deno task bench` runs the counting pass (count.ts): as the last step
 * of a full run, or alone with `--count`, when its figures are merged into
 * the results file already there (its timed figures and charts untouched).
 *
 * @module
 */
import { join } from "node:path";
import { countPass, straceMissing } from "./count.ts";
import { renderSummary } from "./report.ts";
import {
  type BenchResults,
  type CountRun,
  formatResults,
  parseResults,
  type ServerResult,
} from "./results.ts";
import type { RunContext } from "./context.ts";
import type { BenchServer } from "./servers.ts";

/** The pass over `servers`, or undefined when it does not run (`--quick`
 * without `--count`, or no strace: then a note says so). Each server is
 * counted at the connections its capacity probe held: in `results`, or
 * with `--count` alone in the results file in `dir`. */
export async function countStep(
  ctx: RunContext,
  servers: BenchServer[],
  results: ServerResult[],
  { count, dir, backgroundCores }: {
    count: boolean;
    dir: string;
    backgroundCores: number;
  },
): Promise<CountRun | undefined> {
  if (ctx.settings.quick && !count) return undefined;
  const missing = await straceMissing();
  if (missing) {
    ctx.notes.push(missing);
    return undefined;
  }
  const probed = count ? (await readResultsIn(dir))?.servers ?? [] : results;
  const held = (id: string) =>
    probed.find((s) => s.id === id)?.capacity?.held ?? null;
  return await countPass(ctx, servers, held, backgroundCores);
}

/** `--count` alone: merges `counts` into the results in `dir` (the servers
 * counted replace their earlier counts) and re-renders summary.md. Returns
 * what it wrote, for the console. */
export async function writeCounts(
  dir: string,
  counts: CountRun,
): Promise<string> {
  const before = await readResultsIn(dir);
  if (!before) throw new Error(`no results in ${dir} to add counts to`);
  const fresh = new Map(counts.servers.map((s) => [s.id, s]));
  const kept = (before.counts?.servers ?? []).filter((s) => !fresh.has(s.id));
  const merged: BenchResults = {
    ...before,
    counts: { ...counts, servers: [...kept, ...counts.servers] },
  };
  const file = join(dir, "latest.json");
  await Deno.writeTextFile(file, formatResults(merged));
  await Deno.writeTextFile(join(dir, "summary.md"), renderSummary(merged));
  return `wrote the counts of ${counts.servers.length} servers into ${file} ` +
    `and summary.md`;
}

/** The results file in `dir`, or null when there is none. */
async function readResultsIn(dir: string): Promise<BenchResults | null> {
  try {
    return parseResults(await Deno.readTextFile(join(dir, "latest.json")));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
