/**
 * Where the reader stands: each exercise not started, in progress or done.
 * "Done" means the file as it is now passed every check; the fingerprint of
 * a file that passed is remembered (in the git-ignored `.progress.json`
 * beside this module) so that `learn` does not re-run a finished exercise.
 *
 * @module
 */
import { join } from "node:path";
import { checkFile, type CheckResult } from "./checks.ts";
import { type Exercise, isStarted } from "./exercise.ts";

export type Status = "not started" | "in progress" | "done";

const CACHE = join(import.meta.dirname!, ".progress.json");

/** The exercise's status; runs its checks unless the file is unchanged
 * since it last passed. `results` are the checks' outcomes when they ran. */
export async function statusOf(
  exercise: Exercise,
  options: { trustCache?: boolean } = {},
): Promise<{ status: Status; results?: CheckResult[] }> {
  if (!isStarted(exercise)) return { status: "not started" };
  const print = await fingerprint(exercise.file);
  const passed = readCache();
  if (options.trustCache !== false && passed[exercise.number] === print) {
    return { status: "done" };
  }
  const results = await checkFile(exercise, exercise.file);
  const ok = results.every((result) => result.ok);
  if (ok) passed[exercise.number] = print;
  else delete passed[exercise.number];
  writeCache(passed);
  return { status: ok ? "done" : "in progress", results };
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

async function fingerprint(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    Deno.readFileSync(path),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function readCache(): Record<string, string> {
  try {
    return JSON.parse(Deno.readTextFileSync(CACHE));
  } catch {
    return {};
  }
}

function writeCache(passed: Record<string, string>): void {
  Deno.writeTextFileSync(CACHE, JSON.stringify(passed, null, 2) + "\n");
}
