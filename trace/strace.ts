/**
 * Reading `strace -f -ttt -T` output: one record per system call, with the
 * two halves of an interrupted line (`<unfinished ...>` / `<... resumed>`)
 * joined back together.
 *
 * @example
 * ```ts
 * import { parseStrace } from "./strace.ts";
 * const { calls } = parseStrace(
 *   "42 1700000000.000100 accept4(3, NULL, NULL, SOCK_CLOEXEC) = 4 <0.750000>",
 * );
 * console.log(calls[0].name, calls[0].duration); // accept4 0.75
 * ```
 *
 * @module
 */

/** One system call made by thread `tid`. Times are seconds since the epoch. */
export interface Call {
  tid: number;
  name: string;
  /** The arguments as strace printed them (may be truncated by strace). */
  args: string;
  /** The return value as printed: `4`, `-1 EAGAIN (...)`, `?` at exit. */
  result: string;
  start: number;
  /** Time spent inside the call (strace's `<...>`), 0 when unknown. */
  duration: number;
}

/** A signal delivered to thread `tid`. */
export interface Delivery {
  tid: number;
  signal: string;
  time: number;
}

const LINE = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/;
const COMPLETE = /^(\w+)\((.*)\)\s+=\s+(.*?)(?:\s+<([\d.]+)>)?$/;
const STARTED = /^(\w+)\((.*?) ?<unfinished \.\.\.>$/;
const RESUMED =
  /^<\.\.\. (\w+) resumed>(.*?)\)?\s+=\s+(.*?)(?:\s+<([\d.]+)>)?$/;
const SIGNAL = /^--- (SIG\w+) /;

/** Parses a whole strace output file. Lines it does not understand (exits,
 * notes) are skipped. */
export function parseStrace(text: string): {
  calls: Call[];
  signals: Delivery[];
} {
  const calls: Call[] = [];
  const signals: Delivery[] = [];
  const pending = new Map<number, Call>();
  for (const line of text.split("\n")) {
    const head = line.match(LINE);
    if (!head) continue;
    const tid = Number(head[1]), time = Number(head[2]), rest = head[3];
    let m;
    if ((m = rest.match(STARTED))) {
      const call = {
        tid,
        name: m[1],
        args: m[2],
        result: "?",
        start: time,
        duration: 0,
      };
      pending.set(tid, call);
      calls.push(call);
    } else if ((m = rest.match(RESUMED))) {
      const call = pending.get(tid);
      if (!call || call.name !== m[1]) continue;
      pending.delete(tid);
      call.args += m[2];
      call.result = m[3];
      call.duration = m[4] ? Number(m[4]) : time - call.start;
    } else if ((m = rest.match(COMPLETE))) {
      calls.push({
        tid,
        name: m[1],
        args: m[2],
        result: m[3],
        start: time,
        duration: m[4] ? Number(m[4]) : 0,
      });
    } else if ((m = rest.match(SIGNAL))) {
      signals.push({ tid, signal: m[1], time });
    }
  }
  return { calls, signals };
}

/** The file descriptor a call acts on: its first argument, when that is a
 * number. */
export function firstFd(call: Call): number | null {
  const m = call.args.match(/^(\d+)/);
  return m ? Number(m[1]) : null;
}

/** The integer a call returned, or null for errors and unknowns. */
export function returned(call: Call): number | null {
  const m = call.result.match(/^(\d+)/);
  return m ? Number(m[1]) : null;
}
