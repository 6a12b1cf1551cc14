/**
 * Where a run's results go. One file holds one run: nothing is ever merged.
 *
 * - The full run (every chapter and reference, the default cells) writes
 *   `bench/results/`: latest.json, summary.md and the charts, replacing
 *   what was there.
 * - A run of some chapters or references (`--chapters 06`, `--references c`)
 *   with the default cells writes its own dated file,
 *   `bench/results/runs/DATE-WHAT.json`, and its tables beside it
 *   (`DATE-WHAT.md`), with its own C reference measured in its rounds.
 * - A run with other cells (`--quick`, `--connections`, `--rounds`, ...)
 *   writes latest.json, summary.md and charts into a new temp dir.
 * - `--out DIR` writes them into DIR.
 *
 * The bench never rewrites the READMEs: `deno task readmes` renders their
 * figures from bench/results/latest.json.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { renderCharts } from "./charts.ts";
import { renderSummary } from "./report.ts";
import { type BenchResults, formatResults, type Settings } from "./results.ts";

const CHART =
  /^(throughput-\d+|chapter-[\w-]+|latency|cpu|idle-cpu|memory|open-loop-[\w-]+)\.svg$/;

/** Where the full run's results are committed. */
export const RESULTS_DIR = join(import.meta.dirname!, "results");

/** Where a partial run's file goes: `kind` says which of the rules above. */
export type Destination =
  | { kind: "dir"; dir: string }
  | { kind: "file"; file: string };

/** Where a run with `settings` writes; `full` are the full run's. */
export async function destination(
  out: string | null,
  settings: Settings,
  full: Settings,
  date: string,
): Promise<Destination> {
  if (out) return { kind: "dir", dir: out };
  if (!sameCells(settings, full)) {
    return {
      kind: "dir",
      dir: await Deno.makeTempDir({ prefix: "echo-lab-bench-" }),
    };
  }
  const what = [
    ...(settings.chapters.length ? ["chapters", settings.chapters] : []),
    ...(settings.references.join() !== full.references.join()
      ? ["references", settings.references.join() || "none"]
      : []),
  ].join("-");
  if (!what) return { kind: "dir", dir: RESULTS_DIR };
  // 2026-12-06T01:30:12.345Z -> 2026-12-06T0130
  const stamp = date.slice(0, 16).replace(":", "");
  return {
    kind: "file",
    file: join(RESULTS_DIR, "runs", `${stamp}-${what}.json`),
  };
}

/** Writes `run` where `to` says. Returns what it wrote, for the console. */
export async function writeResults(
  to: Destination,
  run: BenchResults,
): Promise<string> {
  if (to.kind === "file") {
    await Deno.mkdir(join(to.file, ".."), { recursive: true });
    const summary = to.file.replace(/\.json$/, ".md");
    await Deno.writeTextFile(to.file, formatResults(run));
    await Deno.writeTextFile(summary, renderSummary(run, to.file));
    return `wrote ${to.file} and its tables, ${summary}`;
  }
  const { dir } = to;
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, "latest.json");
  await Deno.writeTextFile(file, formatResults(run));
  await Deno.writeTextFile(join(dir, "summary.md"), renderSummary(run));
  const charts = await renderCharts(run, dir);
  // Charts of an earlier run that this one did not draw (a chapter renamed, a
  // size dropped) would sit beside the new ones as if current.
  for (const entry of Deno.readDirSync(dir)) {
    if (CHART.test(entry.name) && !charts.includes(entry.name)) {
      await Deno.remove(join(dir, entry.name));
    }
  }
  return `wrote ${file}, summary.md and ${charts.length} charts` +
    (resolve(dir) === RESULTS_DIR
      ? "\nthe READMEs' figures come from it: run `deno task readmes` to " +
        "render them"
      : "");
}

/** Whether two runs measured the same cells the same way. */
export function sameCells(a: Settings, b: Settings): boolean {
  const cells = ({ chapters: _, references: __, ...rest }: Settings) =>
    JSON.stringify(rest);
  return cells(a) === cells(b);
}
