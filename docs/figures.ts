/**
 * The bench figures prose may quote, computed from `BenchResults` and
 * formatted with their units, so a README never retypes one (figure_blocks.ts
 * finds where a README quotes them, bench/compare.ts what it compares):
 *
 * - `figure`: one server's figure by name, for the chapters' front matter.
 *   A name is `SERVER/METRIC`: SERVER a chapter folder, with `:VARIANT` for a
 *   `server:VARIANT` task (`06-epoll`, `06-epoll:edge`), or `ref:NAME` for a
 *   reference (`ref:c`); METRIC a key of `METRICS` (`06-epoll/held`).
 * - `measuredTable`: a `bench table` block, the servers' cells with CPU per
 *   round trip as a ratio to the C reference and its spread, then the
 *   absolute figures, the capacity probe, the machine and the command.
 * - `comparisonText`: a `bench compare` block, one sentence per cell and
 *   metric whose verdict ("level with", "1.30× ahead of", "behind", "more",
 *   "less") comes from the paired ratio's spread over rounds.
 *
 * Memory is in binary units (KiB = 1,024 bytes), the lab's unit rule.
 *
 * @example
 * ```ts
 * import { figure } from "./figures.ts";
 * import { parseResults } from "@echo-lab/bench/results";
 * const results = parseResults(
 *   Deno.readTextFileSync("bench/results/latest.json"),
 * );
 * console.log(figure(results, "06-epoll/rss-per-connection")); // 1.03 KiB
 * ```
 *
 * @module
 */
import {
  type Block,
  type Comparison,
  comparisonsOf,
  everyServer,
  formatRatio,
  level,
  ratio,
  REFERENCE,
} from "@echo-lab/bench/compare";
import { posix } from "node:path";
import { countTable } from "@echo-lab/bench/report";
import type {
  BenchResults,
  Row,
  RowSummary,
  ServerResult,
} from "@echo-lab/bench/results";

/** One kind of figure: how to get it from a server's results and how to
 * write it. */
interface Metric {
  /** What the figure is, as a table's column heading. */
  title: string;
  value(server: ServerResult): number | null;
  format(value: number): string;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** Every metric, by the name figures use. */
export const METRICS: Record<string, Metric> = {
  /** Connections held at once by the capacity probe, every one echoing. */
  "held": {
    title: "connections held",
    value: (s) => s.capacity?.held ?? null,
    format: count,
  },
  /** (RSS at `held` - idle RSS) / `held`. */
  "rss-per-connection": {
    title: "RSS per connection",
    value: (s) => s.capacity?.rssPerConnectionBytes ?? null,
    format: bytes,
  },
  /** RSS when the probe held the most connections. */
  "rss-at-held": {
    title: "RSS at the most held",
    value: (s) => atHeld(s)?.rssBytes ?? null,
    format: bytes,
  },
  /** Address space (VmSize) when the probe held the most connections. */
  "vmsize-at-held": {
    title: "address space at the most held",
    value: (s) => atHeld(s)?.virtualBytes ?? null,
    format: bytes,
  },
  /** (VmSize at `held` - idle VmSize) / `held`. With few connections the
   * runtime's own mappings can shrink meanwhile: then it says so. */
  "vmsize-per-connection": {
    title: "address space per connection",
    value: (s) => {
      const [held, idle] = [atHeld(s)?.virtualBytes, s.idle?.virtualBytes];
      return held && idle ? (held - idle) / s.capacity!.held : null;
    },
    format: (b) => b < 0 ? `shrank ${bytes(-b)}` : bytes(b),
  },
  /** Server CPU, as a share of one core, with the held connections silent. */
  "idle-cpu": {
    title: "CPU with them idle",
    value: (s) => s.capacity?.idleCores ?? null,
    format: (cores) => `${Math.round(cores * 100)} %`,
  },
  /** RSS right after start, before any client. */
  "idle-rss": {
    title: "RSS before any client",
    value: (s) => s.idle?.rssBytes ?? null,
    format: bytes,
  },
  /** Address space (VmSize) right after start. */
  "idle-vmsize": {
    title: "address space before any client",
    value: (s) => s.idle?.virtualBytes ?? null,
    format: bytes,
  },
  "idle-threads": {
    title: "threads before any client",
    value: (s) => s.idle?.threads ?? null,
    format: count,
  },
  "idle-processes": {
    title: "processes before any client",
    value: (s) => s.idle?.processes ?? null,
    format: count,
  },
};

/** `n` bytes in B, KiB, MiB or GiB, to 3 significant digits. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 ? Math.round(n) : Number(n.toPrecision(3));
  return `${digits.toLocaleString("en-US")} ${units[i]}`;
}

/** `us` microseconds in µs, ms or s: whole units from 10 up, 2 significant
 * digits below. */
export function duration(us: number): string {
  const [value, unit] = us >= 1e6
    ? [us / 1e6, "s"]
    : us >= 1e3
    ? [us / 1e3, "ms"]
    : [us, "µs"];
  const digits = value >= 10 ? Math.round(value) : Number(value.toPrecision(2));
  return `${digits.toLocaleString("en-US")} ${unit}`;
}

/** The figure `name` (`SERVER/METRIC`) renders as, from `results`. Throws,
 * naming the figure, when the results lack it (a server not measured). */
export function figure(results: BenchResults, name: string): string {
  const match = name.match(/^([\w:-]+)\/([\w-]+)$/);
  const fail = (why: string) => new Error(`figure ${name}: ${why}`);
  if (!match || !(match[2] in METRICS)) {
    throw fail(
      `not SERVER/METRIC with a METRIC of ${Object.keys(METRICS).join(", ")}`,
    );
  }
  const [, key, metric] = match;
  const server = results.servers.find((s) => serverKey(s) === key);
  if (!server) throw fail(`no server ${key} in the results`);
  if (server.error) throw fail(`${key} was not measured: ${server.error}`);
  const value = METRICS[metric].value(server);
  if (value === null || !Number.isFinite(value)) {
    throw fail(`${key} has no ${metric} in the results`);
  }
  return METRICS[metric].format(value);
}

/** `06-epoll:edge` for the task `server:edge` of chapter 06, `ref:c` for
 * the C reference. */
export function serverKey(server: ServerResult): string {
  if (server.chapter === null) return `ref:${server.task}`;
  const variant = server.task.replace(/^server:?/, "");
  return variant ? `${server.chapter}:${variant}` : server.chapter;
}

function atHeld(server: ServerResult) {
  const c = server.capacity;
  return c?.steps.findLast((step) => step.echoed === c.held) ?? null;
}

/** A server as prose names it: chapter 06's `server:edge`, the C epoll
 * reference. */
export function serverName(server: ServerResult): string {
  return server.chapter === null
    ? `the ${server.label} reference`
    : `chapter ${server.chapter.slice(0, 2)}'s \`${server.task}\``;
}

/** A server as a table in the Markdown file `source` names it: C epoll
 * (reference), or 06-epoll `server:edge` with a link to the chapter (none in
 * the chapter's own README). */
function serverCell(server: ServerResult, source: string): string {
  if (server.chapter === null) return `${server.label} (reference)`;
  const readme = `chapters/${server.chapter}/README.md`;
  const name = readme === source
    ? server.chapter
    : `[${server.chapter}](${posix.relative(posix.dirname(source), readme)})`;
  return `${name} \`${server.task}\``;
}

/** `100 connections × 64 B`. */
function cellName(connections: number, size: number): string {
  return `${count(connections)} connection${connections === 1 ? "" : "s"} ` +
    `× ${bytes(size)}`;
}

/** The server `id` of `results`, or an error naming the marker. */
function serverOf(
  results: BenchResults,
  id: string,
  where: string,
): ServerResult {
  const server = results.servers.find((s) => s.id === id);
  if (!server) throw new Error(`${where}: no server "${id}" in the results`);
  if (server.error) {
    throw new Error(`${where}: "${id}" was not measured: ${server.error}`);
  }
  return server;
}

function rowOf(server: ServerResult, connections: number, size: number) {
  return server.rows.find((r) =>
    r.connections === connections && r.size === size
  ) ?? null;
}

/** Other work on the machine above which a sentence says so (cores). */
export const NOISY_CORES = 0.1;

/** The paragraph a `bench compare` block of the Markdown file `source`
 * shows: one sentence per cell and metric, its verdict from the ratio's
 * spread over rounds (compare.ts). Errors name the marker's file and line. */
export function comparisonText(
  results: BenchResults,
  block: Block,
  source: string,
): string {
  const where = `${source}:${block.line}`;
  const comparisons = comparisonsOf(block);
  const absent = (c: Comparison) => notInRun(results, c);
  const sentences = comparisons.map((c) => {
    const missing = absent(c);
    if (missing) return missing;
    const [a, b] = [c.a, c.b].map((id) => serverOf(results, id, where));
    const r = ratio(results, c);
    const at = cellName(c.connections, c.size);
    if (!r) {
      throw new Error(
        `${where}: ${c.a} and ${c.b} were not both measured at ${at}` +
          (c.metric === "cpu" ? " with their CPU" : ""),
      );
    }
    const [A, B] = [serverName(a), serverName(b)];
    const range = `${formatRatio(r.min)} to ${formatRatio(r.max)} over ` +
      `${r.rounds} round${r.rounds === 1 ? "" : "s"}`;
    const m = formatRatio(r.median);
    const what = c.metric === "rate" ? "round trips/s" : "CPU per round trip";
    if (level(r)) {
      return `At ${at}, ${A} and ${B} were level in ${what} on this ` +
        `machine (ratio ${m}, ${range}).`;
    }
    if (c.metric === "rate") {
      return r.median > 1
        ? `At ${at}, ${A} was ${m}× ahead of ${B} in round trips/s (${range}).`
        : `At ${at}, ${A} was behind ${B} in round trips/s, at ${m}× its ` +
          `rate (${range}).`;
    }
    return `At ${at}, ${A} spent ${m}× the CPU per round trip of ${B}, ` +
      `${r.median > 1 ? "more" : "less"} in every round (${range}).`;
  });
  const measured = comparisons.filter((c) => !absent(c));
  return wrap(
    [...new Set(sentences), ...caveats(results, measured)].join(" "),
  );
}

/** The sentence for a comparison naming a server the lab has but this run
 * did not include (a server newer than the run), or null. What a run that
 * had both servers lacks (a cell, a figure) stays an error. */
function notInRun(results: BenchResults, c: Comparison): string | null {
  const lab = everyServer();
  const absent = [c.a, c.b].filter((id) =>
    lab.includes(id) && !results.servers.some((s) => s.id === id)
  );
  if (absent.length === 0) return null;
  return `This run did not include ${absent.map(idName).join(" or ")}: ` +
    `the comparison appears here once \`deno task readmes\` renders a run ` +
    `that did.`;
}

/** How {@linkcode serverName} names a server the run does not have, from
 * its id (`09-io-uring server:zc`). */
function idName(id: string): string {
  const [chapter, task] = id.split(" ");
  return chapter === "reference"
    ? `the ${task} reference`
    : `chapter ${chapter.slice(0, 2)}'s \`${task}\``;
}

/** What the reader should know about the cells a block compares in: where
 * the load generator was at its limit (for round trips/s; CPU per round trip
 * does not depend on who was the limit), and where other work ran beside. */
function caveats(results: BenchResults, comparisons: Comparison[]): string[] {
  const limited = new Set<string>();
  let other = 0;
  for (const c of comparisons) {
    const summaries = [c.a, c.b].map((id) =>
      rowOf(results.servers.find((s) => s.id === id)!, c.connections, c.size)
        ?.summary
    );
    if (c.metric === "rate" && summaries.some((s) => s?.loadgenLimited)) {
      limited.add(count(c.connections));
    }
    for (const s of summaries) {
      other = Math.max(other, s?.otherCores?.median ?? 0);
    }
  }
  const said: string[] = [];
  if (limited.size > 0) {
    said.push(
      `The load generator was the limit for one or both at ` +
        `${list([...limited])} ` +
        `connection${limited.size === 1 && limited.has("1") ? "" : "s"}, so ` +
        `the round-trip ratio${limited.size === 1 ? "" : "s"} there say${
          limited.size === 1 ? "s" : ""
        } how fast it could drive them, not how fast they are.`,
    );
  }
  if (other > NOISY_CORES) {
    said.push(
      `Other work kept up to ${other.toFixed(2)} cores of the machine busy ` +
        `beside these figures, so they are noisy.`,
    );
  }
  return said;
}

/** `a`, `a and b`, `a, b and c`. */
function list(items: string[]): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** The tables a `bench table` block shows: each cell with each server's CPU
 * per round trip as a ratio to the C reference (the median round's ratio,
 * the lowest and highest round's in brackets), then the absolute figures;
 * then each server's capacity probe; then the machine and the command.
 * `source` is the Markdown file's repository path, for links and errors. */
export function measuredTable(
  results: BenchResults,
  block: Block,
  source: string,
): string {
  const where = `${source}:${block.line}`;
  const servers = block.all
    ? results.servers.filter((s) => !s.error)
    : block.servers.map((id) => serverOf(results, id, where));
  const reference = servers.find((s) => s.id === REFERENCE) ??
    serverOf(results, REFERENCE, where);
  const withReference = servers.includes(reference)
    ? servers
    : [...servers, reference];
  const marks = { limited: false, noisy: false };
  const other = (row: Row, s: RowSummary) => {
    const mark = noisy(results, row);
    marks.noisy ||= mark;
    return (s.otherCores ? cores(s.otherCores.median) : "–") +
      (mark ? " †" : "");
  };
  const busy = block.cells.flatMap(({ connections, size }) =>
    withReference.map((server) => {
      const row = rowOf(server, connections, size);
      const s = row?.summary;
      const name = [serverCell(server, source), cellName(connections, size)];
      if (!row || !s) {
        return [...name, notRun(row)]
          .concat(["–", "–", "–", "–"]);
      }
      const r = ratio(results, {
        a: server.id,
        b: reference.id,
        connections,
        size,
        metric: "cpu",
      });
      const toC = server === reference
        ? "1"
        : r
        ? `${formatRatio(r.median)} (${formatRatio(r.min)}–${
          formatRatio(r.max)
        })`
        : "–";
      marks.limited ||= s.loadgenLimited;
      return [
        ...name,
        toC,
        s.cpuSecondsPerMillion
          ? `${s.cpuSecondsPerMillion.median.toFixed(1)} µs`
          : "–",
        count(s.roundTripsPerSecond.median) + (s.loadgenLimited ? " ‡" : ""),
        duration(s.p99Us.median),
        other(row, s),
      ];
    })
  );
  const capacityColumns = [
    "held",
    "rss-per-connection",
    "vmsize-per-connection",
    "idle-cpu",
    "idle-rss",
  ];
  const capacity = servers.filter((s) => s.capacity).map((server) => [
    serverCell(server, source),
    ...[...capacityColumns, "idle-threads", "idle-processes"].map((key) => {
      const value = METRICS[key].value(server);
      const mark = key === "idle-cpu" && noisyIdle(results, server);
      marks.noisy ||= mark;
      return value === null ? "–" : METRICS[key].format(value) +
        (mark ? " †" : "");
    }),
  ]).map((cells) => [...cells.slice(0, -2), cells.slice(-2).join(" / ")]);
  const openLoop = block.rates.flatMap((rate) =>
    withReference.map((server) => {
      const row = server.openLoop.find((r) => r.rate === rate);
      const s = row?.summary;
      const name = [serverCell(server, source), count(rate)];
      if (!row || !s) {
        return [...name, notRun(row)]
          .concat(["–", "–", "–"]);
      }
      return [
        ...name,
        count(s.roundTripsPerSecond.median),
        s.serverCores ? s.serverCores.median.toFixed(2) : "–",
        duration(s.p99Us.median),
        other(row, s),
      ];
    })
  );
  const rounds = results.settings.rounds;
  const notes = [
    `Medians over ${plural(rounds, "round")} of ` +
    `${results.settings.roundMs / 1000} s${
      openLoop.length > 0
        ? ` (open loop: ${plural(openLoopRounds(results), "round")} per rate)`
        : ""
    }. "To C" is the server's CPU per round trip over the C reference's in ` +
    `the same round; in brackets, the lowest and highest round's ratio.`,
    marks.limited
      ? "‡: the load generator was the limit in this cell: the figure says " +
        "how fast it could drive the server, not how fast the server is."
      : "",
    marks.noisy
      ? `†: other work beside it stayed above the quiet check's ` +
        `${quietLimit(results)} cores after every attempt; the run kept it ` +
        `(\`--accept-noise\`), and the figure is noisy.`
      : "",
    `"Other cores": CPU every other task on the machine used meanwhile, ` +
    `steal included (near 0 on a quiet machine). "Held": connections open at once with every one ` +
    `echoing; the idle CPU was measured with all of them open and silent.`,
    `Measured ${machine(results)}, with \`deno task bench${
      results.args.map((a) => ` ${a}`).join("")
    }\` (bench/results/latest.json).`,
  ].filter(Boolean);
  return [
    table(
      [
        "server",
        "connections × size",
        "CPU per round trip, to C",
        "CPU per round trip",
        "round trips/s",
        "p99",
        "other cores",
      ],
      busy,
    ),
    openLoop.length > 0
      ? table(
        [
          "server",
          `round trips/s offered (${results.settings.rateConnections} connections)`,
          "round trips/s done",
          "server cores busy",
          "p99",
          "other cores",
        ],
        openLoop,
      )
      : "",
    capacity.length > 0
      ? table(
        [
          "server",
          ...capacityColumns.map((key) => METRICS[key].title),
          "threads / processes before any client",
        ],
        capacity,
      )
      : "",
    wrap(notes.join(" ")),
  ].filter(Boolean).join("\n\n");
}

/** Cores of other work, to one decimal. The bookkeeping (the machine's CPU
 * less two processes' own, from two clocks) can come out below 0: shown as
 * it is, for the reader to see the noise. */
function cores(n: number): string {
  return Math.abs(n) < 0.05 ? "0.0" : n.toFixed(1);
}

/** `1 round`, `5 rounds`. */
function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** Timed rounds per open-loop rate: schema 3 counts them apart from the
 * closed loop's (`openLoopRounds`); older files ran as many as closed. */
function openLoopRounds(results: BenchResults): number {
  const settings = results.settings as { openLoopRounds?: number };
  return settings.openLoopRounds ?? results.settings.rounds;
}

/** The quiet check's limit in cores (schema 3: a measurement with more
 * other work beside it was repeated), or null for a file older than the
 * check. Read loosely, so that a file without it type-checks too. */
function quietLimit(results: BenchResults): number | null {
  const quiet = (results as { quiet?: { limitCores: number } | null }).quiet;
  return quiet?.limitCores ?? null;
}

/** Whether a round of `row` had more other work beside it than the quiet
 * check allows. */
function noisy(results: BenchResults, row: Row): boolean {
  const limit = quietLimit(results);
  return limit !== null &&
    row.rounds.some((r) =>
      ((r as { otherCores?: number }).otherCores ?? 0) > limit
    );
}

/** Whether the capacity probe's idle reading had other work beside it. */
function noisyIdle(results: BenchResults, server: ServerResult): boolean {
  const limit = quietLimit(results);
  const idleOther =
    (server.capacity as { idleOtherCores?: number | null } | null)
      ?.idleOtherCores ?? 0;
  return limit !== null && idleOther > limit;
}

/** When and where the results were measured. */
/** A `counts` block: system calls, wake-ups and threads per round trip
 * for its servers (every server with `servers="*"`), from the run's
 * counting pass, with how they were counted. */
export function countsText(results: BenchResults, block: Block): string {
  if (!results.counts) {
    return "The committed run has no counting pass (`deno task bench` " +
      "without `--quick` ends with one).";
  }
  return [
    countTable(results.counts, block.all ? undefined : block.servers),
    `Per round trip of 64 B, closed loop: system calls counted untraced ` +
    `(perf, where it was installed; else strace), the three most frequent ` +
    `by name under \`${results.counts.tool}\` at the most connections ` +
    `counted, wake-ups (voluntary context switches of the server's threads) ` +
    `and threads. Counts, not rates: they depend on what the model asks of ` +
    `the kernel, and only a little on the machine (a wait or io_uring_enter ` +
    `serves more sockets per call the more are ready at once). Counted ` +
    `${machine(results)} by \`deno task bench\` (bench/count.ts, ` +
    `bench/results/latest.json).`,
  ].map((part, i) => i === 0 ? part : wrap(part)).join("\n\n");
}

function machine(results: BenchResults): string {
  const m = results.machine;
  const kernel = m.kernel.replace(/^linux /, "Linux ");
  return `${results.date.slice(0, 10)} on ${m.cpu}, ${m.cores} cores, ` +
    `${bytes(m.memoryBytes)}, ${kernel}, Deno ${m.deno}`;
}

/** A Markdown table, numbers right-aligned (`deno fmt` pads it later). */
function table(columns: string[], rows: string[][]): string {
  const align = columns.map((_, i) => i < 2 ? "---" : "--:");
  return [columns, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
}

/** Prose wrapped before 100 columns, never starting a line with something
 * Markdown would read as a list, heading, quote, table or HTML. */
export function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const fits = line.length + 1 + word.length <= width;
    const unsafe = /^([-+*#>|<]|\d+[.)]$)/.test(word);
    if (line && !fits && !unsafe) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join("\n");
}

/** Why a cell has no figures, in a few words: `not run: the capacity probe
 * held 16 connections`. */
function notRun(row?: { status: string; reason: string | null } | null) {
  if (!row) return "not run";
  const reason = row.reason?.replace(/ \(beyond: .*\)$/, "");
  return reason ? `${row.status}: ${reason}` : row.status;
}
