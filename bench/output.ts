/**
 * Where a run's results go, and how a partial run joins the results already
 * there instead of replacing them.
 *
 * - A run over every chapter and reference, with the default cells, writes
 *   `bench/results/`, replacing what was there.
 * - A run filtered by `--chapters` or `--references` (same cells) **merges**
 *   into `bench/results/`: the servers it measured replace their earlier
 *   figures, every other server's figures, and so their charts, stay.
 * - A run with other cells (`--quick`, `--connections`, `--rounds`, ...)
 *   measures something else: it writes a new temp dir.
 * - `--out DIR` writes DIR instead, by the same rules.
 * - A partial run never replaces: when the results there were measured with
 *   other cells (or an older schema), it writes a new temp dir and says so.
 *
 * A run that wrote `bench/results/` then refreshes the figures the READMEs
 * quote from it (`deno task readmes`, site/readmes.ts).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { refreshReadmes } from "../site/readmes.ts";
import { renderCharts } from "./charts.ts";
import { renderSummary } from "./report.ts";
import {
  type BenchResults,
  formatResults,
  parseResults,
  type Settings,
} from "./results.ts";

const CHART =
  /^(throughput-\d+|chapter-[\w-]+|latency|cpu|idle-cpu|memory|open-loop-[\w-]+)\.svg$/;

/** Where a full run's results are committed. */
const RESULTS_DIR = join(import.meta.dirname!, "results");

/** The directory a run writes: `--out`, else bench/results for a run with
 * the full run's cells, else a new temp dir. */
export async function outputDir(
  out: string | null,
  settings: Settings,
  full: Settings,
): Promise<string> {
  if (out) return out;
  if (sameCells(settings, full)) return RESULTS_DIR;
  return await Deno.makeTempDir({ prefix: "echo-lab-bench-" });
}

/** Writes latest.json, summary.md and the charts of `run` into `dir`,
 * merged with the results there when `run` measured only some servers with
 * the same cells. Returns what it wrote, for the console. */
export async function writeResults(
  dir: string,
  run: BenchResults,
  partial: boolean,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const before = await readExisting(join(dir, "latest.json")).catch(() => null);
  let why = "";
  if (partial && before && !sameCells(before.settings, run.settings)) {
    why = ` (not merged: ${dir} holds results measured with other settings)`;
    dir = await Deno.makeTempDir({ prefix: "echo-lab-bench-" });
  }
  const file = join(dir, "latest.json");
  const merged = partial && before && !why ? merge(before, run) : run;
  await Deno.writeTextFile(file, formatResults(merged));
  await Deno.writeTextFile(join(dir, "summary.md"), renderSummary(merged));
  const charts = await renderCharts(merged, dir);
  // Charts of an earlier run that this one did not draw (a chapter renamed, a
  // size dropped) would sit beside the new ones as if current.
  for (const entry of Deno.readDirSync(dir)) {
    if (CHART.test(entry.name) && !charts.includes(entry.name)) {
      await Deno.remove(join(dir, entry.name));
    }
  }
  const kept = merged.servers.length - run.servers.length;
  return `wrote ${file}, summary.md and ${charts.length} charts` + why +
    (merged === run
      ? ""
      : ` (merged: ${kept} servers kept from earlier runs)`) +
    (resolve(dir) === RESULTS_DIR
      // From the file as written (its numbers are rounded), so the READMEs
      // agree with what `deno task readmes --check` will read back.
      ? `\n${await refreshFigures(parseResults(await Deno.readTextFile(file)))}`
      : "");
}

/** The READMEs' figures rendered from the results just written; a figure
 * the results lack leaves every README as it was, and says which. */
async function refreshFigures(results: BenchResults): Promise<string> {
  try {
    const written = await refreshReadmes(results);
    return `deno task readmes: ${written.length} README(s) refreshed from ` +
      `the new results${written.length ? `: ${written.join(", ")}` : ""}`;
  } catch (error) {
    return `deno task readmes: READMEs left as they were: ${
      (error as Error).message
    }`;
  }
}

/** `before` with the servers `run` measured replaced (or added, in the
 * order chapters then references), the rest kept with their dates. */
export function merge(before: BenchResults, run: BenchResults): BenchResults {
  const fresh = new Map(run.servers.map((s) => [s.id, s]));
  const servers = before.servers.map((s) => fresh.get(s.id) ?? s);
  for (const server of run.servers) {
    if (!before.servers.some((s) => s.id === server.id)) servers.push(server);
  }
  servers.sort((a, b) =>
    Number(a.chapter === null) - Number(b.chapter === null) ||
    (a.chapter ?? "").localeCompare(b.chapter ?? "")
  );
  return {
    ...run,
    settings: before.settings,
    notes: [...new Set([...before.notes, ...run.notes])],
    servers,
  };
}

/** Whether two runs measured the same cells the same way. */
export function sameCells(a: Settings, b: Settings): boolean {
  const cells = ({ chapters: _, references: __, ...rest }: Settings) =>
    JSON.stringify(rest);
  return cells(a) === cells(b);
}

async function readExisting(file: string): Promise<BenchResults | null> {
  try {
    return parseResults(await Deno.readTextFile(file));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
