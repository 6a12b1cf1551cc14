/**
 * Your server beside the reference: the system calls each made per round
 * trip of the same scenario, and every difference said in words.
 *
 * @module
 */
import type { Recording } from "./record.ts";
import { lanes, REPEATED_SLEEPS, sleeps } from "./analyze.ts";

/** Per call name: how often it was made on the server's lanes, and how
 * often it came back EAGAIN ("nothing now"). */
interface Tally {
  calls: Record<string, number>;
  eagain: Record<string, number>;
  /** call name → lanes it slept on, and how many times */
  slept: Record<string, { lanes: string[]; times: number }>;
  echoes: number;
  lanes: number;
}

function tally(recording: Recording): Tally {
  const result: Tally = {
    calls: {},
    eagain: {},
    slept: {},
    echoes: recording.marks.filter((mark) => mark.kind === "echo").length,
    lanes: 0,
  };
  const found = lanes(recording);
  result.lanes = found.length;
  for (const lane of found) {
    for (const call of lane.calls) {
      if (call.name === "futex") continue; // threads waiting on each other
      result.calls[call.name] = (result.calls[call.name] ?? 0) + 1;
      if (/EAGAIN/.test(call.result)) {
        result.eagain[call.name] = (result.eagain[call.name] ?? 0) + 1;
      }
      if (sleeps(call)) {
        const slept = result.slept[call.name] ??= { lanes: [], times: 0 };
        slept.times++;
        if (!slept.lanes.includes(lane.label)) slept.lanes.push(lane.label);
      }
    }
  }
  return result;
}

const perEcho = (count: number, echoes: number) =>
  echoes === 0 ? "-" : (count / echoes).toFixed(2);

/** The table and the differences, as printed by `deno task trace NN
 * --mine`. */
export function compare(mine: Recording, reference: Recording): string {
  const yours = tally(mine), ref = tally(reference);
  const names = [
    ...new Set([
      ...Object.keys(ref.calls),
      ...Object.keys(yours.calls),
    ]),
  ].sort();
  const rows = [
    ["system call", "yours", "reference", "yours/echo", "ref/echo"],
    ...names.map((name) => [
      name,
      String(yours.calls[name] ?? 0),
      String(ref.calls[name] ?? 0),
      perEcho(yours.calls[name] ?? 0, yours.echoes),
      perEcho(ref.calls[name] ?? 0, ref.echoes),
    ]),
  ];
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  const table = rows.map((row) =>
    row.map((cell, i) =>
      i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])
    )
      .join("  ")
  );
  const lines = [
    `round trips: yours ${yours.echoes}, the reference ${ref.echoes}`,
    "",
    ...table,
    "",
    ...differences(yours, ref),
  ];
  return lines.join("\n");
}

/** Each difference in words. */
function differences(yours: Tally, ref: Tally): string[] {
  const said: string[] = [];
  const names = new Set([
    ...Object.keys(ref.calls),
    ...Object.keys(yours.calls),
  ]);
  for (const name of [...names].sort()) {
    const a = (yours.calls[name] ?? 0) / Math.max(yours.echoes, 1);
    const b = (ref.calls[name] ?? 0) / Math.max(ref.echoes, 1);
    if (Math.abs(a - b) < 0.5 && Math.abs(a - b) <= 0.25 * Math.max(a, b)) {
      continue;
    }
    let line = (yours.calls[name] ?? 0) === 0
      ? `yours never calls ${name}; the reference ${times(b)} per echo`
      : (ref.calls[name] ?? 0) === 0
      ? `yours calls ${name} ${times(a)} per echo; the reference never does`
      : `yours calls ${name} ${times(a)} per echo; the reference ${times(b)}`;
    const ya = yours.eagain[name] ?? 0, ra = ref.eagain[name] ?? 0;
    if (ya !== ra) {
      line += `. ${ya} of yours came back EAGAIN (nothing to do yet), ` +
        `${ra} of the reference's`;
      if (name.startsWith("recv") && ya > ra) {
        line += ": yours reads on until the kernel says EAGAIN; the " +
          "reference stops before (at a short read, or after one read per " +
          "wake-up)";
      }
    }
    said.push(`- ${line}`);
  }
  const sleepsIn = (t: Tally) =>
    Object.entries(t.slept).filter(([, { times }]) => times >= REPEATED_SLEEPS)
      .map(([call, { lanes }]) => `${call} (${lanes.join(", ")})`)
      .join(", ") || "nothing: it never waits in the kernel";
  const yourSleeps = sleepsIn(yours), refSleeps = sleepsIn(ref);
  if (yourSleeps !== refSleeps) {
    said.push(
      `- yours sleeps in ${yourSleeps}; the reference in ${refSleeps}`,
    );
  }
  if (yours.lanes !== ref.lanes) {
    said.push(
      `- yours did its socket work on ${yours.lanes} thread(s) or ` +
        `process(es); the reference on ${ref.lanes}`,
    );
  }
  if (said.length === 0) {
    said.push("- no difference: the same calls per echo, the same sleeps");
  }
  return ["Differences:", ...said];
}

function times(n: number): string {
  return n === 1 ? "once" : `${n.toFixed(n % 1 === 0 ? 0 : 2)} times`;
}
