/**
 * Where the reader stands: each exercise not started, in progress or done.
 * `deno task exercise NN` records its outcome, keyed by the SHA-256 of the
 * file it checked, in the git-ignored `.progress.json` beside this module;
 * `deno task learn` only reads that record, so it runs no checks. An edit to
 * my_server.ts changes its hash, and with it the record no longer applies.
 *
 * @module
 */
import { join } from "node:path";
import type { CheckResult } from "./checks.ts";
import { type Exercise, isStarted } from "./exercise.ts";

export type Status = "not started" | "in progress" | "done";

/** What the last `deno task exercise NN` found, for the file as it was. */
interface Outcome {
  sha256: string;
  ok: boolean;
  /** The first check that failed, when one did. */
  failed?: CheckResult;
}

const RECORD = join(import.meta.dirname!, ".progress.json");

/** The exercise's status from the record, without running a check; the
 * first failed check of the last run, when it was on this very file. */
export async function statusOf(
  exercise: Exercise,
): Promise<{ status: Status; failed?: CheckResult; checked: boolean }> {
  if (!isStarted(exercise)) return { status: "not started", checked: false };
  const outcome = readRecord()[exercise.number];
  if (outcome?.sha256 !== await sha256(exercise.file)) {
    return { status: "in progress", checked: false };
  }
  return outcome.ok
    ? { status: "done", checked: true }
    : { status: "in progress", failed: outcome.failed, checked: true };
}

/** Records the outcome of checking the reader's file. */
export async function record(
  exercise: Exercise,
  results: CheckResult[],
): Promise<void> {
  const all = readRecord();
  all[exercise.number] = {
    sha256: await sha256(exercise.file),
    ok: results.every((result) => result.ok),
    failed: results.find((result) => !result.ok),
  };
  Deno.writeTextFileSync(RECORD, JSON.stringify(all, null, 2) + "\n");
}

/** The progress list, `01 blocking ✓ · 02 threaded … in progress · ...`,
 * in lines of at most 79 columns. */
export function progressLine(
  entries: { exercise: Exercise; status: Status }[],
): string {
  const marks = {
    done: "✓",
    "in progress": "… in progress",
    "not started": "not started",
  };
  const lines = [""];
  for (const { exercise, status } of entries) {
    const item = `${exercise.number} ${exercise.title} ${marks[status]}`;
    const last = lines.at(-1)!;
    if (last === "") lines[lines.length - 1] = item;
    else if (last.length + 3 + item.length <= 79) {
      lines[lines.length - 1] = `${last} · ${item}`;
    } else lines.push(item);
  }
  return lines.join("\n");
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", Deno.readFileSync(path));
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function readRecord(): Record<string, Outcome> {
  try {
    return JSON.parse(Deno.readTextFileSync(RECORD));
  } catch {
    return {};
  }
}
