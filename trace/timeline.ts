/**
 * The timeline: one lane per server thread or process, a bar wherever it
 * slept inside a call, a tick for each quick call, and the clients' messages
 * above, all on one time axis. Rendered as a static SVG.
 *
 * @module
 */
import { family, lanes, sleeps } from "./analyze.ts";
import type { Recording } from "./record.ts";

const WIDTH = 960, LEFT = 210, RIGHT = 20, ROW = 26, TOP = 70;

const COLORS: Record<string, string> = {
  accept: "#2f6fdf",
  recv: "#1f9d6b",
  send: "#d9822b",
  wait: "#8a63d2",
  uring: "#c2417a",
  thread: "#7a7a7a",
};

/** Renders `recording` as an SVG document. `caption` names the chapter,
 * machine and date. */
export function timelineSvg(recording: Recording, caption: string): string {
  const laneList = lanes(recording);
  const clients = [...new Set(recording.marks.map((m) => m.client))].sort();
  const t0 = (recording.marks[0]?.time ?? recording.started) - 0.05;
  const t1 = Math.max(...recording.marks.map((m) => m.time), t0 + 0.5) + 0.1;
  const x = (t: number) =>
    LEFT + ((t - t0) / (t1 - t0)) * (WIDTH - LEFT - RIGHT);
  const rows = clients.length + laneList.length;
  const height = TOP + rows * ROW + 58;
  const out: string[] = [];
  const y = (row: number) => TOP + row * ROW;

  // Time axis.
  for (let s = 0; s <= t1 - t0; s += 0.5) {
    const tx = x(t0 + s).toFixed(1);
    out.push(
      `<line class="grid" x1="${tx}" x2="${tx}" y1="${TOP - 6}" y2="${
        y(rows)
      }"/>`,
    );
    out.push(
      `<text class="axis" x="${tx}" y="${TOP - 10}" text-anchor="middle">${
        s.toFixed(1)
      } s</text>`,
    );
  }

  // Clients: a line while connected, ▲ when bytes leave, ● when the echo lands.
  clients.forEach((client, row) => {
    const marks = recording.marks.filter((m) => m.client === client);
    const cy = y(row) + ROW / 2;
    out.push(
      `<text class="label" x="${LEFT - 10}" y="${
        cy + 4
      }" text-anchor="end">client ${client}</text>`,
    );
    const open = marks.find((m) => m.kind === "connect"),
      close = marks.findLast((m) => m.kind === "close");
    if (open) {
      out.push(
        `<line class="conn" x1="${x(open.time).toFixed(1)}" x2="${
          x(close?.time ?? t1).toFixed(1)
        }" y1="${cy}" y2="${cy}"/>`,
      );
    }
    for (const mark of marks) {
      const mx = x(mark.time).toFixed(1);
      if (mark.kind === "send") {
        out.push(
          `<path class="send" d="M${mx} ${
            cy - 7
          }l5 9h-10z"><title>${client} sends "${mark.text}"</title></path>`,
        );
      } else if (mark.kind === "echo") {
        out.push(
          `<circle class="echo" cx="${mx}" cy="${cy}" r="4"><title>"${mark.text}" echoed back to ${client}</title></circle>`,
        );
      }
    }
  });

  // Server lanes: bars for sleeps, binned ticks for quick calls.
  laneList.forEach((lane, i) => {
    const row = clients.length + i;
    const top = y(row) + 5, h = ROW - 10;
    out.push(
      `<text class="label" x="${LEFT - 10}" y="${
        y(row) + ROW / 2 + 4
      }" text-anchor="end">${escape(lane.label)}</text>`,
    );
    out.push(
      `<line class="lane" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${
        y(row) + ROW / 2
      }" y2="${y(row) + ROW / 2}"/>`,
    );
    const ticks = new Map<string, number>();
    for (const call of lane.calls) {
      if (call.start > t1) continue;
      const kind = family(call.name);
      if (sleeps(call)) {
        const start = Math.max(call.start, t0),
          end = Math.min(call.start + call.duration, t1);
        out.push(
          `<rect x="${x(start).toFixed(1)}" y="${top}" width="${
            Math.max(1, x(end) - x(start)).toFixed(1)
          }" height="${h}" fill="${COLORS[kind]}"><title>${call.name}: slept ${
            (call.duration * 1000).toFixed(1)
          } ms</title></rect>`,
        );
      } else if (call.start >= t0) {
        const column = Math.round(x(call.start));
        ticks.set(
          `${column} ${kind}`,
          (ticks.get(`${column} ${kind}`) ?? 0) + 1,
        );
      }
    }
    for (const [key, count] of ticks) {
      const [column, kind] = key.split(" ");
      out.push(
        `<rect x="${column}" y="${top - 3}" width="1.2" height="${
          h + 6
        }" fill="${COLORS[kind]}" opacity="${
          Math.min(1, 0.45 + count / 20).toFixed(2)
        }"/>`,
      );
    }
  });

  // Legend.
  const legendY = y(rows) + 28;
  const legend: [string, string][] = [
    ["accept", "accept"],
    ["recv", "recv"],
    ["send", "send"],
    ["wait", "poll / select / epoll_wait"],
    ["uring", "io_uring_enter"],
    ["thread", "futex"],
  ];
  let lx = LEFT;
  for (const [kind, text] of legend) {
    out.push(
      `<rect x="${lx}" y="${legendY - 9}" width="12" height="12" fill="${
        COLORS[kind]
      }"/>`,
    );
    out.push(
      `<text class="axis" x="${lx + 17}" y="${legendY + 1}">${text}</text>`,
    );
    lx += 34 + text.length * 6.4;
  }
  out.push(
    `<text class="axis" x="${LEFT}" y="${
      legendY + 22
    }">bar: the thread slept inside the call · tick: a call that returned at once · ▲ client sends · ● echo arrives</text>`,
  );

  const title = `${recording.chapter}: system calls over time`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-labelledby="title desc">
<title id="title">${escape(title)}</title>
<desc id="desc">${
    escape(
      `One lane per server thread or process that did socket work, bars where it slept in a system call, ticks for calls that returned at once, and the three clients' messages above. ${caption}`,
    )
  }</desc>
<style>
  svg { --fg: #1d2330; --muted: #5b6475; --grid: #e3e6ec; --bg: #ffffff; }
  @media (prefers-color-scheme: dark) { svg { --fg: #e6e8ee; --muted: #9aa3b5; --grid: #2c3240; --bg: #161a22; } }
  .bg { fill: var(--bg); } text { font: 12px system-ui, sans-serif; fill: var(--fg); }
  .axis { fill: var(--muted); font-size: 11px; } .grid { stroke: var(--grid); }
  .lane { stroke: var(--grid); } .conn { stroke: var(--muted); stroke-width: 2; }
  .send { fill: #d9822b; } .echo { fill: #1f9d6b; } .caption { fill: var(--muted); font-size: 11px; }
</style>
<rect class="bg" width="100%" height="100%"/>
<text x="${LEFT}" y="20" font-weight="600">${escape(title)}</text>
<text class="caption" x="${LEFT}" y="38">${escape(caption)}</text>
${out.join("\n")}
</svg>
`;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
