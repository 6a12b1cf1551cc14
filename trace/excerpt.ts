/**
 * The annotated trace: the server's socket calls in time order, with the
 * clients' messages in between and a note wherever a thread slept.
 *
 * @module
 */
import { family, type Lane, lanes, sleeps } from "./analyze.ts";
import type { Recording } from "./record.ts";
import type { Call } from "./strace.ts";

const MAX_LINES = 180;

const WHY: Record<string, string> = {
  accept: "waiting for a connection",
  recv: "waiting for data to arrive",
  send: "waiting for room in the send buffer",
  wait: "waiting for any of its sockets",
  uring: "waiting for completions",
  thread: "waiting for another thread",
};

/** Renders the excerpt as plain text. Runs of the same call with the same
 * outcome on one lane (a busy loop's EAGAINs) are folded into one line. */
export function excerpt(recording: Recording, heading: string): string {
  const laneList = lanes(recording);
  const t0 = recording.marks[0]?.time ?? recording.started;
  const at = (time: number) =>
    `${time < t0 ? "-" : "+"}${Math.abs(time - t0).toFixed(3)}`.padStart(8);
  const width = Math.max(...laneList.map((lane) => lane.label.length), 6);
  type Row = { time: number; text: string; key?: string };
  const rows: Row[] = [];
  for (const lane of laneList) {
    for (const call of lane.calls) {
      rows.push({
        time: call.start,
        key: `${lane.tid} ${call.name} ${outcome(call)}`,
        text: `${lane.label.padEnd(width)}  ${describe(call)}`,
      });
    }
  }
  for (const mark of recording.marks) {
    const what = {
      connect: "connects",
      send: `sends "${mark.text}"`,
      echo: `gets "${mark.text}" back`,
      close: "closes",
    }[mark.kind];
    rows.push({
      time: mark.time,
      text: `${"".padEnd(width)}  · client ${mark.client} ${what}`,
    });
  }
  for (const { tid, signal, time } of recording.signals) {
    const lane = laneList.find((l: Lane) => l.tid === tid);
    rows.push({
      time,
      text: `${
        (lane?.label ?? `thread ${tid}`).padEnd(width)
      }  --- ${signal} delivered ---`,
    });
  }
  rows.sort((a, b) => a.time - b.time);

  const lines: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    let j = i;
    while (
      j + 1 < rows.length && rows[j + 1].key && rows[j + 1].key === rows[i].key
    ) j++;
    const repeat = j > i
      ? `   (×${j - i + 1} until ${at(rows[j].time).trim()})`
      : "";
    lines.push(`${at(rows[i].time)}  ${rows[i].text}${repeat}`);
    i = j;
  }
  const shown = lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES), `… ${lines.length - MAX_LINES} more lines`]
    : lines;
  return [
    ...heading.split("\n").map((line) => `# ${line}`),
    "# time: seconds after the first client connected; ← where a thread slept",
    "",
    ...shown,
    "",
  ].join("\n");
}

function describe(call: Call): string {
  const args = call.args.length > 44 ? `${call.args.slice(0, 43)}…` : call.args;
  const result = call.result.replace(/ \(.*\)$/, "");
  const text = `${call.name}(${args}) = ${result}`;
  if (sleeps(call)) {
    return `${text}   ← slept ${(call.duration * 1000).toFixed(1)} ms: ${
      WHY[family(call.name)]
    }`;
  }
  if (family(call.name) === "recv" && /^\d+$/.test(result) && result !== "0") {
    return `${text}   ← copied ${result} bytes to user space`;
  }
  return text;
}

function outcome(call: Call): string {
  return `${call.result.replace(/\d+/g, "N")} ${sleeps(call)}`;
}
