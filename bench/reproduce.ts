/**
 * `deno task bench --reproduce`: measures again, in a short interleaved run,
 * every ratio the READMEs quote (their `bench` markers, compare.ts), and
 * prints each committed ratio beside the fresh one with its spread:
 * `reproduced` when the fresh median is within ±20% of the committed one,
 * `differs` otherwise. Only the servers and cells the comparisons need are
 * measured, the C reference among them; `--chapters` and `--references`
 * narrow the comparisons to those between the servers they select.
 *
 * @module
 */
import { join } from "node:path";
import {
  type Comparison,
  formatRatio,
  quotedComparisons,
  type Ratio,
  ratio,
} from "./compare.ts";
import { type Cell, emptyResult, measureCell } from "./measure.ts";
import { describeNoise } from "./quiet.ts";
import { clock, Progress } from "./progress.ts";
import { estimate, QUIET_LIMIT, type RunContext } from "./context.ts";
import type { BenchServer } from "./servers.ts";
import {
  type BenchResults,
  parseResults,
  type ServerResult,
} from "./results.ts";

/** How far the fresh median may stray from the committed one. */
export const TOLERANCE = 0.2;

/** The repository's root, whose Markdown quotes the comparisons. */
const ROOT = join(import.meta.dirname!, "..");

/** Where to find what to reproduce, and where to say how it went. */
export interface ReproduceOptions {
  /** The committed results file. */
  against: string;
  /** The folder whose Markdown files quote the comparisons. */
  root?: string;
  print?: (line: string) => void;
}

/** Runs the comparisons quoted under `root` among `servers` again; returns
 * the exit code: 0 when every one reproduced, 1 otherwise. */
export async function reproduce(
  ctx: RunContext,
  servers: BenchServer[],
  { against, root = ROOT, print = console.log }: ReproduceOptions,
): Promise<number> {
  const committed = parseResults(await Deno.readTextFile(against));
  const ids = new Set(servers.map((s) => s.id));
  const comparisons = (await quotedComparisons(root))
    .filter((c) => ids.has(c.a) && ids.has(c.b));
  if (comparisons.length === 0) {
    print(`reproduce: no quoted comparison between ${[...ids].join(", ")}`);
    return 1;
  }
  // Each cell, with the servers its comparisons name and the reference.
  const cells = new Map<string, { cell: Cell; ids: Set<string> }>();
  for (const c of comparisons) {
    const key = `${c.connections}x${c.size}`;
    const entry = cells.get(key) ??
      { cell: { connections: c.connections, size: c.size }, ids: new Set() };
    for (const id of [c.a, c.b, "reference c"]) {
      if (ids.has(id)) entry.ids.add(id);
    }
    cells.set(key, entry);
  }
  const { settings } = ctx;
  const measurements = [...cells.values()]
    .reduce((sum, { ids }) => sum + ids.size, 0) * settings.rounds;
  ctx.progress = new Progress(
    [...cells.values()].reduce(
      (sum, { cell, ids }) =>
        sum +
        ids.size * settings.rounds *
          estimate.closed(settings, cell.connections),
      0,
    ),
  );
  print(
    `reproduce: ${comparisons.length} quoted ratios, ${cells.size} cells, ` +
      `${measurements} measurements: about ${clock(ctx.progress.total)}`,
  );
  const results = new Map<string, ServerResult>();
  for (const { cell, ids } of cells.values()) {
    const measured = servers.filter((s) => ids.has(s.id));
    for (const s of measured) {
      if (!results.has(s.id)) results.set(s.id, emptyResult(s));
    }
    await measureCell(
      ctx,
      measured,
      measured.map((s) => results.get(s.id)!),
      cell,
    );
  }
  ctx.progress.end();
  const fresh: BenchResults = {
    ...committed,
    date: new Date().toISOString(),
    servers: [...results.values()],
  };
  let reproduced = 0;
  for (const c of comparisons) {
    const line = compareLine(c, ratio(committed, c), ratio(fresh, c));
    if (line.endsWith(": reproduced")) reproduced++;
    print(line);
  }
  const noise = describeNoise(ctx);
  for (const line of noise) print(`noisy (over ${QUIET_LIMIT} core): ${line}`);
  print(
    `reproduce: ${reproduced} of ${comparisons.length} reproduced ` +
      `(fresh median within ±${TOLERANCE * 100}% of the committed one), ` +
      `${settings.rounds} rounds of ${settings.roundMs} ms, ` +
      `against ${committed.date}`,
  );
  return reproduced === comparisons.length && noise.length === 0 ? 0 : 1;
}

/** One comparison's line: what it compares, the committed ratio and the
 * fresh one with their spreads, and the verdict, e.g.
 * `06-epoll server / reference c, cpu, 100 conn × 64 B: committed 1.12
 * (1.05-1.20), fresh 1.08 (1.01-1.15): reproduced`. */
export function compareLine(
  c: Comparison,
  committed: Ratio | null,
  fresh: Ratio | null,
): string {
  const what = `${c.a} / ${c.b}, ${c.metric}, ${c.connections} conn × ` +
    `${c.size} B`;
  return `${what}: committed ${show(committed)}, fresh ${show(fresh)}: ` +
    outcome(committed, fresh);
}

/** `reproduced`, `differs`, or why neither can be said. */
export function outcome(committed: Ratio | null, fresh: Ratio | null): string {
  if (!committed) return "not in the committed run";
  if (!fresh) return "not measured";
  const off = Math.abs(fresh.median / committed.median - 1);
  return off <= TOLERANCE ? "reproduced" : "differs";
}

function show(r: Ratio | null): string {
  return r
    ? `${formatRatio(r.median)} (${formatRatio(r.min)}-${formatRatio(r.max)})`
    : "–";
}
