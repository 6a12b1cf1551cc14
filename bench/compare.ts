/**
 * The comparisons the prose quotes: which two servers, in which cell, by
 * which measure, and the verdict the data gives them. A README declares each
 * comparison in a marker, and `deno task readmes` writes the sentence or
 * table under it from bench/results/latest.json (docs/figure_blocks.ts), so no
 * verdict is ever typed by hand; `deno task bench --reproduce` measures the
 * same comparisons again.
 *
 * A marker is an HTML comment on a line of its own, with `key="value"`
 * attributes, closed by `<!-- /bench -->`:
 *
 *     <!-- bench compare a="05-select server:poll" b="06-epoll server" at="100x64" metric="rate" -->
 *     (the generated sentence)
 *     <!-- /bench -->
 *
 *     <!-- bench table servers="05-select server, 05-select server:poll" at="1x64, 100x64" -->
 *     (the generated table)
 *     <!-- /bench -->
 *
 * Server ids are those of the results (`06-epoll server:edge`,
 * `reference c`); `at` lists cells as CONNECTIONSxSIZE; `metric` lists
 * `rate` (round trips per second) and `cpu` (server CPU per round trip). A
 * table compares each of its servers with the C reference (`reference c`),
 * by CPU per round trip, in each cell; `servers="*"` is every server of the
 * run. Its optional `rates` lists open-loop rates to show as well (no
 * comparison: the absolute figures).
 *
 * @example
 * ```ts
 * import { ratio, verdict } from "./compare.ts";
 * import { parseResults } from "./results.ts";
 * const results = parseResults(
 *   Deno.readTextFileSync("bench/results/latest.json"),
 * );
 * const r = ratio(results, {
 *   a: "06-epoll server:edge",
 *   b: "06-epoll server",
 *   connections: 100,
 *   size: 64,
 *   metric: "rate",
 * });
 * if (r) console.log(verdict(r)); // e.g. "level with"
 * ```
 *
 * @module
 */
import { join, relative } from "node:path";
import { discoverChapters, serverTasks } from "@echo-lab/harness/chapters";
import { type BenchResults, parseResults, type Round } from "./results.ts";
import { REFERENCES } from "./servers.ts";
import { pairedRatio } from "./stats.ts";

/** Two servers compared in one cell by one measure. */
export interface Comparison {
  /** Server ids as in the results, e.g. `05-select server:poll`,
   * `reference c`. */
  a: string;
  b: string;
  connections: number;
  size: number;
  /** `rate`: round trips per second; `cpu`: server CPU per round trip. */
  metric: "rate" | "cpu";
}

/** a's figure over b's, paired round by round: the median round's ratio and
 * the lowest and highest. */
export interface Ratio {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

/** The server every table compares with: the C epoll reference. */
export const REFERENCE = "reference c";

/** The metrics a marker may name. */
export const METRICS = ["rate", "cpu"] as const;

/** a's figure over b's in the comparison's cell, paired round by round
 * (bench/stats.ts pairedRatio), or null when either was not measured there
 * (no such server or cell, no rounds, or no CPU figure for `cpu`). */
export function ratio(results: BenchResults, c: Comparison): Ratio | null {
  const [a, b] = [c.a, c.b].map((id) => perRound(results, id, c));
  if (!a || !b || a.length === 0 || a.length !== b.length) return null;
  const r = pairedRatio(a, b);
  return { ...r, rounds: a.length };
}

/** The comparison's measure in each round of server `id`'s cell. */
function perRound(
  results: BenchResults,
  id: string,
  c: Comparison,
): number[] | null {
  const row = results.servers.find((s) => s.id === id)?.rows.find((r) =>
    r.connections === c.connections && r.size === c.size
  );
  if (!row || row.status === "not run") return null;
  const value = c.metric === "rate"
    ? (r: Round) => r.roundTrips / r.seconds
    : (r: Round) =>
      r.serverCpuSeconds === null ? NaN : r.serverCpuSeconds / r.roundTrips;
  const values = row.rounds.map(value);
  return values.every(Number.isFinite) ? values : null;
}

/** The ratio to 2 decimals (3 significant digits from 10 up): `0.98`,
 * `1.30`, `12.4`. */
export function formatRatio(n: number): string {
  return n >= 10 ? String(Number(n.toPrecision(3))) : n.toFixed(2);
}

/** Whether the rounds' spread holds 1: then neither server was ahead on
 * this machine. */
export function level(r: Ratio): boolean {
  return r.min <= 1 && 1 <= r.max;
}

/** The verdict the ratio gives, in a few words (`deno task bench
 * --reproduce` prints it): `level with` when the spread over rounds holds 1,
 * else `1.30× ahead of` or `behind (0.77×)`: a's figure over b's, which for
 * `cpu` means more CPU per round trip, not better. The READMEs' sentences
 * (docs/figures.ts `comparisonText`) say the same in words that fit each
 * metric. */
export function verdict(r: Ratio): string {
  if (level(r)) return "level with";
  return r.median > 1
    ? `${formatRatio(r.median)}× ahead of`
    : `behind (${formatRatio(r.median)}×)`;
}

const ATTRIBUTE = /(\w+)="([^"]*)"/g;
/** A marker line: `<!-- bench KIND key="value" … -->`. */
export const OPEN = /^( *)<!-- bench (\w+)((?: \w+="[^"]*")*) -->$/;
export const CLOSE = "<!-- /bench -->";

/** One `bench` marker of a Markdown file and what it declares. */
export interface Block {
  kind: "compare" | "table" | "counts";
  /** 1-based lines of the opening and closing marker. */
  line: number;
  endLine: number;
  /** The marker line as written, without its indent. */
  marker: string;
  /** The markers' indent (a block inside a list item), which every line of
   * the body carries too. */
  indent: string;
  /** The text between the markers, as it stands, without the indent. */
  body: string;
  /** `table`: the servers, in order; `compare`: a and b. */
  servers: string[];
  /** `table` with `servers="*"`: every server of the run, in its order
   * (`servers` then holds every server the lab has: `everyServer`). */
  all: boolean;
  cells: { connections: number; size: number }[];
  /** `table`: open-loop rates (round trips/s offered) to show, if any. */
  rates: number[];
  metrics: Comparison["metric"][];
}

/** Every `bench` block of `markdown` (repository path `source`, for
 * errors). Throws, naming the line, on a malformed or unclosed marker. */
export function blocks(markdown: string, source: string): Block[] {
  const lines = markdown.split("\n");
  const found: Block[] = [];
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(```|~~~)/.test(lines[i])) fence = !fence;
    if (fence || !lines[i].trimStart().startsWith("<!-- bench ")) continue;
    const fail = (why: string) => new Error(`${source}:${i + 1}: ${why}`);
    const open = lines[i].match(OPEN);
    if (!open) {
      throw fail(`not a marker: <!-- bench KIND key="value" ... -->`);
    }
    const [, indent, kind] = open;
    if (kind !== "compare" && kind !== "table" && kind !== "counts") {
      throw fail(`bench ${kind}: the kinds are compare, table and counts`);
    }
    const attrs = Object.fromEntries(
      [...open[3].matchAll(ATTRIBUTE)].map((m) => [m[1], m[2]]),
    );
    const list = (key: string) =>
      (attrs[key] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const end = lines.indexOf(indent + CLOSE, i + 1);
    if (end < 0) throw fail(`bench ${kind}: no ${CLOSE} below it`);
    const cells = list("at").map((cell) => {
      const m = cell.match(/^(\d+)x(\d+)$/);
      if (!m) throw fail(`at="${attrs.at}": cells are CONNECTIONSxSIZE`);
      return { connections: Number(m[1]), size: Number(m[2]) };
    });
    if (cells.length === 0 && kind !== "counts") {
      throw fail(`bench ${kind}: no at="..." cells`);
    }
    const rates = list("rates").map(Number);
    if (rates.some((r) => !Number.isInteger(r) || r <= 0)) {
      throw fail(`rates="${attrs.rates}": rates are round trips/s offered`);
    }
    const metrics = kind === "table"
      ? ["cpu"]
      : kind === "counts"
      ? []
      : list("metric");
    for (const m of metrics) {
      if (!(METRICS as readonly string[]).includes(m)) {
        throw fail(`metric="${attrs.metric}": metrics are rate and cpu`);
      }
    }
    if (metrics.length === 0 && kind === "compare") {
      throw fail(`bench compare: no metric="..."`);
    }
    const all = kind !== "compare" && attrs.servers === "*";
    const servers = all
      ? everyServer()
      : kind === "compare"
      ? [attrs.a, attrs.b]
      : list("servers");
    if (servers.length === 0 || servers.some((s) => !s)) {
      throw fail(
        kind === "compare"
          ? `needs a and b`
          : `bench ${kind}: no servers="..."`,
      );
    }
    found.push({
      kind,
      line: i + 1,
      endLine: end + 1,
      marker: lines[i].trimStart(),
      indent,
      body: lines.slice(i + 1, end).map((line) => line.slice(indent.length))
        .join("\n"),
      servers,
      all,
      cells,
      rates,
      metrics: metrics as Comparison["metric"][],
    });
    i = end;
  }
  return found;
}

/** Every server the lab has, by the id a run gives it: each chapter's
 * `server` tasks, then the references. */
export function everyServer(): string[] {
  return [
    ...discoverChapters().flatMap((chapter) =>
      serverTasks(chapter).map((task) => `${chapter.name} ${task}`)
    ),
    ...REFERENCES.map((name) => `reference ${name}`),
  ];
}

/** The comparisons one block quotes: a table, each server against the C
 * reference by CPU per round trip; a compare block, a against b in each of
 * its cells and metrics; a counts block, none (its figures are counts, the
 * same on any machine, not ratios to re-measure). */
export function comparisonsOf(block: Block): Comparison[] {
  if (block.kind === "counts") return [];
  const pairs = block.kind === "table"
    ? block.servers.filter((s) => s !== REFERENCE).map((a) => [a, REFERENCE])
    : [[block.servers[0], block.servers[1]]];
  return pairs.flatMap(([a, b]) =>
    block.cells.flatMap((cell) =>
      block.metrics.map((metric) => ({ a, b, ...cell, metric }))
    )
  );
}

/** Every comparison the Markdown files under `root` quote, each once, in
 * the order they first appear (files in path order). A table's row for a
 * cell the results did not run (a server that holds one connection, at
 * 10,000) quotes nothing, so with `results` (by default the committed
 * bench/results/latest.json under `root`, when there is one) such pairs are
 * left out. */
export async function quotedComparisons(
  root: string,
  given?: BenchResults | null,
): Promise<Comparison[]> {
  const results = given === undefined ? await committedResults(root) : given;
  const seen = new Map<string, Comparison>();
  for (const path of await markdownUnder(root)) {
    const text = await Deno.readTextFile(path);
    for (const block of blocks(text, relative(root, path))) {
      for (const c of comparisonsOf(block)) {
        const key = `${c.a}|${c.b}|${c.connections}x${c.size}|${c.metric}`;
        if (seen.has(key)) continue;
        if (results && [c.a, c.b].some((id) => !ran(results, id, c))) continue;
        seen.set(key, c);
      }
    }
  }
  return [...seen.values()];
}

/** Whether server `id` was measured in the comparison's cell. */
function ran(results: BenchResults, id: string, c: Comparison): boolean {
  const row = results.servers.find((s) => s.id === id)?.rows.find((r) =>
    r.connections === c.connections && r.size === c.size
  );
  return row !== undefined && row.status !== "not run";
}

/** bench/results/latest.json under `root`, or null when there is none. */
async function committedResults(root: string): Promise<BenchResults | null> {
  try {
    return parseResults(
      await Deno.readTextFile(join(root, "bench/results/latest.json")),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Directories no quoted comparison lives in: generated output, packages. */
const SKIP = new Set(["node_modules", "dist", "results"]);

async function markdownUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await markdownUnder(path));
    else if (entry.isFile && entry.name.endsWith(".md")) found.push(path);
  }
  return found.sort();
}
