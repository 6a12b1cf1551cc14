/**
 * The bench's charts: Vega-Lite specifications built from a results file,
 * rendered to static SVG by Vega itself, headless (no browser, no canvas).
 * Each chart names the machine it ran on, and has a narrow form for a
 * phone in `narrow/` beside it (see `narrowSvg`), which the site shows on
 * narrow screens.
 *
 * Re-render both from a results file:
 *
 *     deno run --allow-read --allow-write bench/charts.ts bench/results/latest.json bench/results
 *
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { join } from "node:path";
import { machineLine } from "@echo-lab/harness/machine";
import {
  type BenchResults,
  NARROW_DIR,
  noisyRow,
  parseResults,
  type Row,
  type ServerResult,
} from "./results.ts";

/** Writes every chart of `results` into `dir`, and its narrow form (see
 * `narrowSvg`) into `dir/narrow/` under the same name; returns the file
 * names of the charts. Narrow forms of charts no longer drawn are deleted. */
export async function renderCharts(
  results: BenchResults,
  dir: string,
): Promise<string[]> {
  const written: string[] = [];
  const narrowDir = join(dir, NARROW_DIR);
  await Deno.mkdir(narrowDir, { recursive: true });
  for (const [name, spec] of Object.entries(chartSpecs(results))) {
    const file = `${name}.svg`;
    await Deno.writeTextFile(join(dir, file), await toSvg(spec));
    await Deno.writeTextFile(join(narrowDir, file), await narrowSvg(spec));
    written.push(file);
  }
  for (const entry of Deno.readDirSync(narrowDir)) {
    if (entry.name.endsWith(".svg") && !written.includes(entry.name)) {
      await Deno.remove(join(narrowDir, entry.name));
    }
  }
  return written;
}

/** A narrow form's width in CSS pixels: a 390 px phone's column, drawn at
 * its own size, so its 12 px labels stay 12 px. */
export const NARROW_WIDTH = 340;

/** `spec` drawn for a phone: the same data and marks, the panels stacked
 * (facet columns become rows, side-by-side panels a column), the legend
 * below, the notes wrapped, 12 px text, and the panels sized so that the
 * whole chart is `NARROW_WIDTH` wide. */
export async function narrowSvg(spec: TopLevelSpec): Promise<string> {
  // Without a canvas Vega guesses a text 0.8 em a character, which makes a
  // narrow chart's notes look far wider than they are; the guess below is
  // a sans-serif's widths, on the generous side. The wide charts keep
  // Vega's own guess, so they stay as they were.
  const metrics = (vega as unknown as { textMetrics: TextMetrics })
    .textMetrics;
  const guess = metrics.width;
  metrics.width = sansWidth;
  try {
    let inner = 240;
    let svg = await toSvg(narrowSpec(spec, inner));
    // The axes and labels take what they need; the panels get the rest.
    for (let i = 0; i < 4; i++) {
      const width = Number(svg.match(/^<svg[^>]*\swidth="([\d.]+)"/)?.[1]);
      if (!width || Math.abs(width - NARROW_WIDTH) < 2) break;
      inner = Math.max(80, inner + NARROW_WIDTH - width);
      svg = await toSvg(narrowSpec(spec, inner));
    }
    return svg;
  } finally {
    metrics.width = guess;
  }
}

/** Vega's text measure (vega-scenegraph's `textMetrics`), which it lets a
 * caller replace. */
interface TextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

type TextItem = { fontSize?: number; fontWeight?: string | number };

/** A sans-serif text's width in pixels: narrow letters, wide letters and
 * the rest, a tenth wider in bold. */
function sansWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize ?? 11;
  const bold = item.fontWeight === "bold" || Number(item.fontWeight) >= 600;
  let em = 0;
  for (const c of String(text ?? "")) {
    em += /[ilj.,:;'|!()\[\] ]/.test(c)
      ? 0.32
      : /[ftr\-]/.test(c)
      ? 0.4
      : /[mwMW@%]/.test(c)
      ? 0.9
      : /[A-Z]/.test(c)
      ? 0.7
      : 0.6;
  }
  return em * size * (bold ? 1.1 : 1);
}

function narrowSpec(spec: TopLevelSpec, width: number): TopLevelSpec {
  // deno-lint-ignore no-explicit-any
  const narrow: any = structuredClone(spec);
  const text = 12;
  narrow.config = {
    ...narrow.config,
    title: { fontSize: 14, subtitleFontSize: text, subtitleLineHeight: 15 },
    axis: { labelFontSize: text, titleFontSize: text },
    header: {
      labelFontSize: text,
      titleFontSize: text,
      labelOrient: "top",
      labelAngle: 0,
      labelAnchor: "start",
      titleOrient: "top",
      titleAngle: 0,
      titleAnchor: "start",
    },
    legend: {
      orient: "bottom",
      direction: "vertical",
      columns: 1,
      labelFontSize: text,
      titleFontSize: text,
    },
    text: { fontSize: text },
  };
  const title = narrow.title;
  title.text = wrap(title.text, 36);
  title.subtitle = [title.subtitle].flat().flatMap((line: string) =>
    wrap(line, 48)
  );
  if (narrow.facet?.column) {
    narrow.facet = { row: narrow.facet.column };
  }
  if (narrow.hconcat) {
    narrow.vconcat = narrow.hconcat;
    delete narrow.hconcat;
  }
  const panels = [narrow, narrow.spec, ...(narrow.vconcat ?? [])];
  for (const panel of panels) {
    if (typeof panel?.width === "number") panel.width = width;
  }
  limitLabels(narrow, 150);
  return narrow;
}

/** Every axis's `labelLimit` in `node` at most `max` pixels (a legend,
 * below the chart, has its whole width). */
function limitLabels(node: unknown, max: number, axis = false) {
  if (typeof node !== "object" || node === null) return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (axis && key === "labelLimit" && typeof value === "number") {
      record[key] = Math.min(value, max);
    } else {limitLabels(
        value,
        max,
        key === "axis" || (axis && key !== "legend"),
      );}
  }
}

/** `text` in lines of at most `width` characters, broken between words. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.at(-1);
    if (last !== undefined && `${last} ${word}`.length <= width) {
      lines[lines.length - 1] = `${last} ${word}`;
    } else lines.push(word);
  }
  return lines;
}

/** Renders one Vega-Lite spec to an SVG document. */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: "none",
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Every chart, by file name (without `.svg`). */
export function chartSpecs(
  results: BenchResults,
): Record<string, TopLevelSpec> {
  const measured = results.servers.filter((s) => !s.error);
  const charts: Record<string, TopLevelSpec> = {};
  for (const size of results.settings.sizes) {
    charts[`throughput-${size}`] = throughput(results, measured, [size]);
  }
  charts.latency = latency(results, measured);
  charts.cpu = cpu(results, measured);
  charts.memory = memory(results, measured);
  charts["idle-cpu"] = idleCpu(results, measured);
  const open = measured.filter((s) => openRows(s).length > 0);
  if (open.length) charts["open-loop"] = openLoop(results, open);
  // One per chapter for its own page: its variants beside the references.
  const references = measured.filter((s) => s.chapter === null);
  for (const chapter of new Set(measured.map((s) => s.chapter))) {
    if (!chapter) continue;
    const own = measured.filter((s) => s.chapter === chapter);
    charts[`chapter-${chapter}`] = throughput(
      results,
      [...own, ...references],
      results.settings.sizes,
      `${chapter}: round trips per second`,
    );
    const openOwn = open.filter((s) => s.chapter === chapter);
    if (openOwn.length) {
      charts[`chapter-${chapter}-open-loop`] = openLoop(results, [
        ...openOwn,
        ...open.filter((s) => s.chapter === null),
      ], `${chapter}: CPU and p99 at fixed offered rates`);
    }
  }
  return charts;
}

// #region throughput
function throughput(
  results: BenchResults,
  servers: ServerResult[],
  sizes: number[],
  title = `Round trips per second, ${sizes.join(" and ")} B messages`,
): TopLevelSpec {
  const values = servers.flatMap((server) =>
    server.rows
      .filter((row) => sizes.includes(row.size) && row.summary)
      .map((row) => ({
        ...point(results, server, row),
        rate: row.summary!.roundTripsPerSecond.median,
        low: row.summary!.roundTripsPerSecond.min,
        high: row.summary!.roundTripsPerSecond.max,
        limited: row.summary!.loadgenLimited,
      }))
  );
  const rate = {
    field: "rate",
    type: "quantitative",
    title: "round trips / s (median)",
    axis: { format: "~s" },
  };
  const layers = {
    layer: [
      {
        mark: { type: "line", strokeWidth: 1.5 },
        encoding: { y: rate, strokeDash: referenceDash },
      },
      {
        // Hollow where the load generator neared a core: not a ranking.
        mark: { type: "point", filled: false, size: 36, strokeWidth: 1.5 },
        encoding: {
          y: rate,
          fill: {
            condition: { test: "datum.limited", value: "#fff" },
            ...serverColor(results, servers),
          },
          fillOpacity: { value: 1 },
        },
      },
      {
        mark: { type: "rule" },
        encoding: {
          y: { field: "low", type: "quantitative" },
          y2: { field: "high" },
        },
      },
      noisyMark({ y: rate }),
    ],
    encoding: {
      x: connectionsAxis(results),
      color: serverColor(results, servers),
      tooltip: [
        { field: "server" },
        { field: "connections" },
        { field: "rate", format: ",.0f" },
      ],
    },
  };
  return {
    ...frame(
      results,
      title,
      `closed loop, one message in flight per connection; median of ` +
        `${results.settings.rounds} rounds, bars from the lowest to the ` +
        `highest; references dashed`,
      LIMITED_NOTE,
    ),
    data: { values },
    ...(sizes.length > 1
      ? {
        facet: { column: { field: "size", title: "message bytes" } },
        spec: { width: 300, height: 260, ...layers },
      }
      : { width: 520, height: 300, ...layers }),
  } as TopLevelSpec;
}
// #endregion

// #region open-loop
/** Open loop: the server's CPU and its p99 against the offered rate. */
function openLoop(
  results: BenchResults,
  servers: ServerResult[],
  title = "Open loop: CPU and p99 latency at fixed offered rates",
): TopLevelSpec {
  const values = servers.flatMap((server) =>
    openRows(server).map((row) => ({
      ...point(results, server, row),
      offered: row.rate,
      cores: row.summary!.serverCores?.median ?? null,
      p99: row.summary!.p99Us.median,
      limited: row.summary!.loadgenLimited,
    }))
  );
  const offered = {
    field: "offered",
    type: "quantitative",
    scale: { type: "log" },
    title: "offered round trips / s (log scale)",
    axis: { values: results.settings.rates, format: "~s", grid: true },
  };
  const panel = (field: string, title: string, log: boolean) => ({
    width: 300,
    height: 240,
    layer: [
      {
        mark: { type: "line", strokeWidth: 1.5 },
        encoding: { strokeDash: referenceDash },
      },
      {
        mark: { type: "point", filled: false, size: 36, strokeWidth: 1.5 },
        encoding: {
          fill: {
            condition: { test: "datum.limited", value: "#fff" },
            ...serverColor(results, servers),
          },
          fillOpacity: { value: 1 },
        },
      },
    ],
    encoding: {
      x: offered,
      y: {
        field,
        type: "quantitative",
        title,
        // CPU against a whole core, which a polling server burns at any rate.
        scale: log ? { type: "log" } : {
          domain: [0, Math.max(1, ...values.map((v) => v.cores ?? 0))],
        },
        axis: { format: log ? "~s" : ".2~f" },
      },
      color: serverColor(results, servers),
      tooltip: [
        { field: "server" },
        { field: "offered" },
        { field, format: ",.2f" },
      ],
    },
  });
  return {
    ...frame(
      results,
      title,
      `${results.settings.rateConnections} connections, ` +
        `${results.settings.sizes[0]} B, sends on a fixed schedule, latency ` +
        `from the scheduled time;`,
      `rates above 80% of a server's closed-loop rate not run; references ` +
        `dashed`,
      LIMITED_NOTE,
    ),
    data: { values },
    hconcat: [
      panel("cores", "server CPU, cores (1 = one core busy)", false),
      panel("p99", "p99 latency, µs (log scale)", true),
    ],
  } as TopLevelSpec;
}

/** A server's open-loop rows that ran. */
function openRows(server: ServerResult) {
  return server.openLoop.filter((row) => row.summary);
}
// #endregion

// #region latency
function latency(results: BenchResults, servers: ServerResult[]) {
  const size = results.settings.sizes[0];
  const values = focusRows(results, servers).flatMap(({ server, row }) =>
    (["p50Us", "p99Us", "p999Us"] as const).map((key, i) => ({
      ...point(results, server, row),
      percentile: ["p50", "p99", "p99.9"][i],
      micros: row.summary![key].median,
    }))
  );
  return {
    ...frame(
      results,
      `Round-trip latency, ${size} B messages`,
      `p50, p99 and p99.9 (medians over rounds); a server missing from a ` +
        `panel did not hold that many connections`,
    ),
    data: { values },
    facet: { column: { field: "connections", title: "connections" } },
    spec: {
      width: 260,
      height: { step: 16 },
      layer: [
        {
          mark: { type: "rule", color: "#bbb" },
          encoding: {
            x: {
              aggregate: "min",
              field: "micros",
              type: "quantitative",
              scale: { type: "log" },
            },
            x2: { aggregate: "max", field: "micros" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 45 },
          encoding: {
            x: {
              field: "micros",
              type: "quantitative",
              scale: { type: "log" },
              title: "µs (log scale)",
              axis: { format: "~s" },
            },
            color: {
              field: "percentile",
              type: "nominal",
              sort: ["p50", "p99", "p99.9"],
              scale: { range: ["#1f77b4", "#ff7f0e", "#d62728"] },
            },
            tooltip: [
              { field: "server" },
              { field: "percentile" },
              { field: "micros", format: ",.0f" },
            ],
          },
        },
      ],
      encoding: { y: serverAxis },
    },
  } as TopLevelSpec;
}
// #endregion

// #region cpu
function cpu(results: BenchResults, servers: ServerResult[]) {
  const size = results.settings.sizes[0];
  const values = focusRows(results, servers)
    .filter(({ row }) => row.summary!.cpuSecondsPerMillion)
    .map(({ server, row }) => ({
      ...point(results, server, row),
      seconds: row.summary!.cpuSecondsPerMillion!.median,
      low: row.summary!.cpuSecondsPerMillion!.min,
      high: row.summary!.cpuSecondsPerMillion!.max,
    }));
  return {
    ...frame(
      results,
      `Server CPU seconds per million round trips, ${size} B`,
      `user + system time of every thread and process of the server, from ` +
        `/proc; lower is better; bars from the lowest to the highest round`,
    ),
    data: { values },
    facet: { column: { field: "connections", title: "connections" } },
    spec: {
      width: 260,
      height: { step: 16 },
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            x: {
              field: "seconds",
              type: "quantitative",
              title: "CPU s per 10⁶ round trips",
            },
            color: { ...serverColor(results, servers), legend: null },
            tooltip: [{ field: "server" }, {
              field: "seconds",
              format: ".2f",
            }],
          },
        },
        {
          mark: { type: "rule" },
          encoding: {
            x: { field: "low", type: "quantitative" },
            x2: { field: "high" },
          },
        },
        noisyMark({ x: { field: "high", type: "quantitative" } }),
      ],
      encoding: { y: serverAxis },
    },
  } as TopLevelSpec;
}
// #endregion

// #region memory
function memory(results: BenchResults, servers: ServerResult[]) {
  const values = servers.flatMap((server) =>
    (server.capacity?.steps ?? [])
      .filter((step) => step.rssBytes && step.echoed > 0)
      .map((step) => ({
        server: server.label,
        kind: server.chapter ? "chapter" : "reference",
        connections: step.echoed,
        megabytes: step.rssBytes! / 1e6,
      }))
  );
  return {
    ...frame(
      results,
      "Server memory (RSS) by open connections",
      `from the capacity probe, every connection verified by an echo; a line ` +
        `ends where the server stopped holding more`,
    ),
    width: 520,
    height: 300,
    data: { values },
    mark: { type: "line", point: true, strokeWidth: 1.5 },
    encoding: {
      x: { ...connectionsAxis(results), title: "open connections (log scale)" },
      y: {
        field: "megabytes",
        type: "quantitative",
        scale: { type: "log" },
        title: "RSS, MB (log scale, all processes)",
        axis: { format: "~s" },
      },
      color: serverColor(results, servers),
      strokeDash: referenceDash,
      tooltip: [
        { field: "server" },
        { field: "connections" },
        { field: "megabytes", format: ",.1f" },
      ],
    },
  } as TopLevelSpec;
}
// #endregion

// #region idle-cpu
function idleCpu(results: BenchResults, servers: ServerResult[]) {
  const values = servers
    .filter((s) => s.capacity?.idleCores != null)
    .map((s) => ({
      server: s.label,
      percent: Math.max(0, s.capacity!.idleCores! * 100),
      note: `${s.capacity!.idleConnections!.toLocaleString("en")} open`,
    }));
  const y = serverAxis;
  return {
    ...frame(
      results,
      "Server CPU while every connection is quiet",
      `% of one core over ${results.settings.roundMs / 1000} s, with the ` +
        `connections the capacity probe held left open and silent`,
    ),
    width: 420,
    height: { step: 16 },
    data: { values },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x: {
            field: "percent",
            type: "quantitative",
            title: "% of one core",
            // A whole core is the reference: show it even when all idle.
            scale: {
              domain: [0, Math.max(100, ...values.map((v) => v.percent))],
            },
          },
          y,
          color: { ...serverColor(results, servers), legend: null },
        },
      },
      {
        mark: { type: "text", align: "left", dx: 4, color: "#555" },
        encoding: {
          x: { field: "percent", type: "quantitative" },
          y,
          text: { field: "note" },
        },
      },
    ],
  } as TopLevelSpec;
}
// #endregion

/** The connection counts the latency and CPU charts compare: one connection
 * and 100 (or the largest below it that ran). */
function focusConnections(results: BenchResults): number[] {
  const counts = results.settings.connections;
  const focus = counts.filter((n) => n <= 100).at(-1) ?? counts[0];
  return [...new Set([counts[0], focus])];
}

/** The measured rows the latency and CPU charts compare: the first message
 * size, at the focus connection counts. */
function focusRows(results: BenchResults, servers: ServerResult[]) {
  const size = results.settings.sizes[0];
  const columns = focusConnections(results);
  return servers.flatMap((server) =>
    server.rows
      .filter((row) => row.size === size && columns.includes(row.connections))
      .filter((row) => row.summary)
      .map((row) => ({ server, row }))
  );
}

function point(results: BenchResults, server: ServerResult, row: Row) {
  return {
    server: server.label,
    kind: server.chapter ? "chapter" : "reference",
    connections: row.connections,
    size: row.size,
    noisy: noisyRow(results, row),
  };
}

/** A `†` beside each noisy point (see NOISY in frame). */
function noisyMark(encoding: Record<string, unknown>) {
  return {
    mark: { type: "text", text: "†", dx: 7, dy: -7, fontSize: 13 },
    transform: [{ filter: "datum.noisy" }],
    encoding,
  };
}

const LIMITED_NOTE = "hollow points: the load generator neared a core " +
  "(loadgenLimited), so they show its limit, not the server's: not ranked";

/** The mark of the noisy measurements a run kept (`--accept-noise`),
 * explained under every chart's title; summary.md lists them. */
function noisyNote(results: BenchResults): string[] {
  const noisy = results.quiet?.noisy ?? [];
  if (noisy.length === 0) return [];
  return [
    `†: one of ${noisy.length} measurement(s) with more than ` +
    `${results.quiet!.limitCores} core of other work beside it, kept with ` +
    `--accept-noise (listed in summary.md)`,
  ];
}

function frame(
  results: BenchResults,
  text: string,
  ...notes: string[]
) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text,
      subtitle: [
        ...notes,
        ...noisyNote(results),
        machineLine(results.machine, results.date),
      ],
      anchor: "start",
      subtitleColor: "#555",
    },
    config: {
      font: "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif",
      view: { stroke: "#ddd" },
    },
  };
}

function connectionsAxis(results: BenchResults) {
  return {
    field: "connections",
    type: "quantitative",
    scale: { type: "log" },
    title: "connections (log scale)",
    axis: {
      values: results.settings.connections,
      format: "~s",
      grid: true,
    },
  };
}

// Tableau's colors less its grays: they stay apart, and go to the chapters'
// servers in order. The references are dark grays (and dashed).
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#499894",
  "#d37295",
  "#b6992d",
  "#a0cbe8",
  "#ffbe7d",
  "#8cd17d",
  "#d4a6c8",
  "#86bcb6",
  "#f1ce63",
];
const REFERENCE_COLORS = ["#222222", "#777777"];

/** A server's color: the same in every chart, whoever else is in it. */
function serverColor(results: BenchResults, servers: ServerResult[]) {
  const chapters = results.servers.filter((s) => s.chapter !== null);
  const references = results.servers.filter((s) => s.chapter === null);
  const color = (s: ServerResult) =>
    s.chapter === null
      ? REFERENCE_COLORS[references.indexOf(s) % REFERENCE_COLORS.length]
      : PALETTE[chapters.indexOf(s) % PALETTE.length];
  return {
    field: "server",
    type: "nominal",
    title: "server",
    scale: {
      domain: servers.map((s) => s.label),
      range: servers.map(color),
    },
    legend: { labelLimit: 240 },
  };
}

/** Servers down the side, in run order (chapters, then references). */
const serverAxis = {
  field: "server",
  type: "nominal",
  title: null,
  sort: null,
  axis: { labelLimit: 240 },
};

/** References (Node.js, C) dashed, chapters solid. */
const referenceDash = {
  field: "kind",
  type: "nominal",
  legend: null,
  scale: { domain: ["chapter", "reference"], range: [[1, 0], [5, 3]] },
};

if (import.meta.main) {
  const [file = "bench/results/latest.json", dir = "bench/results"] = Deno.args;
  const results = parseResults(await Deno.readTextFile(file));
  const written = await renderCharts(results, dir);
  console.log(`wrote ${written.length} charts to ${dir}`);
}
