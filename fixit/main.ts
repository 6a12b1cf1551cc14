/**
 * The fix-its' command line, run from the repository root:
 *
 *     deno task fixit                    every fix-it, with its status
 *     deno task fixit NAME               the report, then grade your file
 *     deno task fixit NAME --hint [1-3]  a hint, each more specific
 *     deno task fixit:reset NAME         your file back as shipped
 *
 * @module
 */
import { relative } from "node:path";
import { ROOT } from "@echo-lab/harness/chapters";
import { wrap } from "@echo-lab/harness/text";
import {
  discoverFixits,
  ensureWritten,
  type Fixit,
  fixitNamed,
  writeFixit,
} from "./fixits.ts";
import {
  fingerprint,
  type FixitStatus,
  fixitStatus,
  passedFile,
} from "./progress.ts";

const MARK: Record<FixitStatus, string> = {
  "fixed": "✓",
  "in progress": "…",
  "not started": "·",
};

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "reset") return reset(args[1]);
  const [name] = args;
  if (!name) return list();
  const fixit = fixitNamed(name);
  ensureWritten([fixit]);
  const at = args.indexOf("--hint");
  if (at >= 0) return hint(fixit, Number(args[at + 1] ?? 1) || 1);
  return await gradeOne(fixit);
}

async function list(): Promise<number> {
  const fixits = discoverFixits();
  ensureWritten(fixits);
  const statuses = await Promise.all(fixits.map(fixitStatus));
  for (const [i, fixit] of fixits.entries()) {
    console.log(
      `${MARK[statuses[i]]} ${fixit.name.padEnd(22)} ${
        fixit.chapter.name.padEnd(17)
      } ${fixit.title}`,
    );
  }
  const fixed = statuses.filter((status) => status === "fixed").length;
  console.log(`\nfix-its: ${fixed}/${fixits.length} fixed`);
  console.log("read one and check your fix: deno task fixit NAME");
  return 0;
}

async function gradeOne(fixit: Fixit): Promise<number> {
  const { grade, launchCommand } = await import("./grade.ts");
  const file = relative(ROOT, fixit.file);
  console.log(`${fixit.name} (${fixit.chapter.name}): ${fixit.title}

A user reports:
  ${wrap(fixit.symptom, "  ")}

The server is ${file} (a copy of the chapter's, with the bug).
Run it yourself: ${launchCommand(fixit)}
Checking it...`);
  const steps = await grade(fixit, fixit.dir, (step) => {
    console.log(`  ${step.ok ? "✓" : "✗"} ${step.name}`);
    if (!step.ok) {
      console.log(`    ${step.message!.replaceAll("\n", "\n    ")}`);
    }
  });
  const ok = steps.length === 2 && steps.every((step) => step.ok);
  if (!ok) {
    await Deno.remove(passedFile(fixit)).catch(() => {});
    console.log(`not yet. A hint: deno task fixit ${fixit.name} --hint 1`);
    return 1;
  }
  Deno.writeTextFileSync(passedFile(fixit), `${await fingerprint(fixit)}\n`);
  console.log("fixed! Where this bug was shipped, and why it bites:");
  for (const { what, url } of fixit.cite) console.log(`  ${what}\n    ${url}`);
  return 0;
}

function hint(fixit: Fixit, n: number): number {
  const i = Math.min(Math.max(n, 1), fixit.hints.length);
  console.log(`${fixit.name}, hint ${i} of ${fixit.hints.length}:\n`);
  console.log(wrap(fixit.hints[i - 1], ""));
  if (i < fixit.hints.length) {
    console.log(
      `\nmore specific: deno task fixit ${fixit.name} --hint ${i + 1}`,
    );
  }
  return 0;
}

function reset(name: string | undefined): number {
  if (!name) throw new Error("which fix-it? deno task fixit lists them");
  const fixit = fixitNamed(name);
  writeFixit(fixit);
  try {
    Deno.removeSync(passedFile(fixit));
  } catch { /* it had not passed */ }
  console.log(`${relative(ROOT, fixit.file)}: back as shipped`);
  return 0;
}
