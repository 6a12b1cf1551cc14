/**
 * Where the learner stands with the fix-its, from what is on disk: a
 * fix-it is fixed once `deno task fixit NAME` passed on the file as it is
 * now (the grade leaves a fingerprint of that file beside it), in progress
 * once the file differs from the one shipped, and not started before.
 * Nothing here starts a server, so `deno task learn` stays quick.
 *
 * @module
 */
import { join } from "node:path";
import { discoverFixits, type Fixit, isUntouched } from "./fixits.ts";

/** A fix-it's standing. */
export type FixitStatus = "fixed" | "in progress" | "not started";

/** The fingerprint of the learner's file (SHA-256, hex), or null when it
 * is missing. */
export async function fingerprint(fixit: Fixit): Promise<string | null> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(fixit.file);
  } catch {
    return null;
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Where the fingerprint of the last passing file is kept. */
export function passedFile(fixit: Fixit): string {
  return join(fixit.dir, ".passed");
}

export async function fixitStatus(fixit: Fixit): Promise<FixitStatus> {
  if (isUntouched(fixit)) return "not started";
  let passed = "";
  try {
    passed = Deno.readTextFileSync(passedFile(fixit)).trim();
  } catch { /* never passed */ }
  return passed !== "" && passed === await fingerprint(fixit)
    ? "fixed"
    : "in progress";
}

/** The lines `deno task learn` prints about the fix-its. */
export async function fixitProgress(): Promise<string> {
  const fixits = discoverFixits();
  const statuses = await Promise.all(fixits.map(fixitStatus));
  const fixed = statuses.filter((status) => status === "fixed").length;
  return `fix-its: ${fixed}/${fixits.length} fixed (a classic bug to find ` +
    `in each; deno task fixit lists them)`;
}
