/**
 * The accept-spread figure: for each run of `deno task measure`, which loop
 * accepted how many of the connections, and how often the loops' threads
 * woke up per connection. Drawn from lab/results/measure.json into
 * lab/results/accept_spread.svg, which the README shows.
 *
 * Run: deno task measure (which calls this), or on its own:
 * deno run --allow-read=results --allow-write=results spread_chart.ts
 *
 * @module
 */
import { join } from "node:path";

/** The part of lab/results/measure.json the figure reads. */
export interface SpreadResults {
  date: string;
  command: string;
  loadAverageBefore: string;
  machine: { cpu: string; cores: number; kernel: string; deno: string };
  spread: {
    name: string;
    connections: number;
    loops: { loop: number; accepted: number; wakeupsPerConnection: number }[];
  }[];
}

const WIDTH = 640, BAR_X = 16, BAR_WIDTH = 440, ROW = 64, TOP = 52;
const LOOP_COLOURS = ["#2f6f9f", "#d08a2c", "#5a9a5a", "#9a5a8a"];

/** The figure as a standalone SVG document. */
export function spreadChart(results: SpreadResults): string {
  const rows = results.spread.map((run, i) => row(run, TOP + i * ROW));
  const height = TOP + results.spread.length * ROW + 48;
  const { machine } = results;
  const captions = [
    `${results.date.slice(0, 10)}, ${machine.cpu}, ${machine.cores} cores, ` +
    `${machine.kernel}, Deno ${machine.deno}`,
    `${results.command} (lab/results/measure.json); load average before: ` +
    results.loadAverageBefore.split(" ")[0],
  ];
  const description = results.spread.map((run) =>
    `${run.name}: ${
      run.loops.map((l) => `loop ${l.loop} accepted ${l.accepted}`).join(", ")
    }; ${wakeups(run).toFixed(2)} wake-ups per connection`
  ).join(". ");
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-labelledby="title desc" font-family="system-ui, sans-serif" font-size="13">
<title id="title">Which loop accepted each connection, and wake-ups per connection</title>
<desc id="desc">${escape(description)}.</desc>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${BAR_X}" y="24" font-size="15" font-weight="600" fill="#1c2128">Who accepts: ${
    results.spread[0]?.connections.toLocaleString("en-US") ?? 0
  } connections, 2 loops</text>
<text x="${
    BAR_X + BAR_WIDTH + 16
  }" y="44" fill="#555">wake-ups per connection</text>
${rows.join("\n")}
${
    captions.map((line, i) =>
      `<text x="${BAR_X}" y="${
        height - 30 + i * 16
      }" font-size="11" fill="#555">${escape(line)}</text>`
    ).join("\n")
  }
</svg>
`;
}

function row(run: SpreadResults["spread"][number], y: number): string {
  const total = run.loops.reduce((sum, l) => sum + l.accepted, 0) || 1;
  let x = BAR_X;
  const segments = run.loops.map((l) => {
    const width = (l.accepted / total) * BAR_WIDTH;
    const colour = LOOP_COLOURS[l.loop % LOOP_COLOURS.length];
    // A narrow segment gets the count alone; a sliver, nothing.
    const count = l.accepted.toLocaleString("en-US");
    const text = width > 100
      ? `loop ${l.loop}: ${count}`
      : width > 44
      ? count
      : "";
    const label = text
      ? `<text x="${x + 8}" y="${y + 37}" fill="#fff">${text}</text>`
      : "";
    const svg = `<rect x="${x}" y="${
      y + 20
    }" width="${width}" height="26" fill="${colour}"/>${label}`;
    x += width;
    return svg;
  });
  return `<text x="${BAR_X}" y="${y + 13}" fill="#1c2128">${
    escape(run.name)
  }</text>
${segments.join("")}
<text x="${BAR_X + BAR_WIDTH + 16}" y="${y + 37}" fill="#1c2128">${
    wakeups(run).toFixed(2)
  }</text>`;
}

/** Every loop's wake-ups, per accepted connection. */
function wakeups(run: SpreadResults["spread"][number]): number {
  return run.loops.reduce((sum, l) => sum + l.wakeupsPerConnection, 0);
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}

/** Reads lab/results/measure.json beside this file and writes the figure. */
export function writeSpreadChart(dir = import.meta.dirname!): string {
  const results = JSON.parse(
    Deno.readTextFileSync(join(dir, "results/measure.json")),
  );
  const path = join(dir, "results/accept_spread.svg");
  Deno.writeTextFileSync(path, spreadChart(results));
  return path;
}

if (import.meta.main) console.log(`wrote ${writeSpreadChart()}`);
