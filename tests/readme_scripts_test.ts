/**
 * Every script a README names still runs: a measurement script that calls a
 * deleted file fails here, not in the hands of a reader.
 *
 * The scripts are the shell scripts (`*.sh`) and the TypeScript scripts in a
 * chapter's `lab/` folder (or a folder inside it) that a Markdown file names
 * (in a link or in code; the path resolves from the Markdown file's folder or
 * the repository root). For each one:
 *
 * - every file of the repository it names (a `.ts`, `.c` or `.sh` path, in a
 *   shell script's code, in a TypeScript one inside quotes) exists,
 *   resolved from the script's folder, its chapter's folder or the root;
 * - a shell script parses (`bash -n`) and answers `--help` with its header
 *   comment and exit 0, within 10 s;
 * - a TypeScript script type-checks (`deno check`), so each module it imports
 *   exists.
 *
 * The scripts measure for minutes and need a quiet machine, so they are not
 * run in full here; `--help` and the checks above are their one-second form.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { markdownFiles, readText, ROOT } from "@echo-lab/docs/files";

/** Repository paths of the scripts the Markdown files name. */
export function namedScripts(): string[] {
  const found = new Set<string>();
  for (const source of markdownFiles()) {
    const text = readText(source)!;
    for (const [token] of text.matchAll(/[\w./-]+\.(?:sh|ts)\b/g)) {
      for (const base of [dirname(source), "."]) {
        const path = normalize(join(base, token));
        if (path.startsWith("..") || !existsSync(join(ROOT, path))) continue;
        if (isScript(path)) found.add(path);
        break;
      }
    }
  }
  return [...found].sort();
}

function isScript(path: string): boolean {
  return path.endsWith(".sh") ||
    /(^|\/)lab\/([\w.-]+\/)*[\w.-]+\.ts$/.test(path);
}

/** The repository files `script` names that exist nowhere it could mean. */
export function missingFiles(script: string, text: string): string[] {
  const pattern = script.endsWith(".sh")
    ? /(?<![\w$/.-])([\w.-]+(?:\/[\w.-]+)*\.(?:ts|c|sh))\b/g
    : /["'`]([\w.-]+(?:\/[\w.-]+)*\.(?:ts|c|sh))["'`]/g;
  const chapter = script.match(/^chapters\/[^/]+/)?.[0];
  const bases = [dirname(script), chapter, "."].filter((b) => b !== undefined);
  // A shell script's comments may name files in passing; its code may not.
  const code = script.endsWith(".sh")
    ? text.split("\n").map((line) => line.replace(/(^|\s)#.*$/, "")).join("\n")
    : text;
  const missing = new Set<string>();
  for (const [, path] of code.matchAll(pattern)) {
    const exists = bases.some((base) => existsSync(join(ROOT, base, path)));
    if (!exists) missing.add(path);
  }
  return [...missing];
}

const scripts = namedScripts();

Deno.test("readme scripts: the READMEs name scripts", () => {
  assert(
    scripts.some((s) => s.endsWith(".sh")) &&
      scripts.some((s) => s.endsWith(".ts")),
    `found only: ${scripts.join(", ")}`,
  );
});

for (const script of scripts) {
  Deno.test(`readme scripts: ${script}`, async (t) => {
    const text = Deno.readTextFileSync(join(ROOT, script));
    await t.step("every file it names exists", () => {
      assert.deepEqual(missingFiles(script, text), [], `${script} names them`);
    });
    if (script.endsWith(".sh")) {
      await t.step("it parses, and answers --help", async () => {
        const syntax = await run("bash", ["-n", script]);
        assert.equal(syntax.code, 0, syntax.printed);
        const help = await run("bash", [script, "--help"]);
        assert.equal(help.code, 0, help.printed);
        assert.match(help.printed, /\w/, "--help printed nothing");
      });
    } else {
      await t.step("it type-checks", async () => {
        const check = await run(Deno.execPath(), ["check", script]);
        assert.equal(check.code, 0, check.printed);
      });
    }
  });
}

Deno.test("readme scripts: a deleted file is caught", () => {
  assert.deepEqual(
    missingFiles(
      "chapters/02-threaded/lab/x.sh",
      "deno run bench/loadgen.ts --port 1\ngcc bench/loadgen/loadgen.c\n",
    ),
    ["bench/loadgen.ts"],
  );
});

/** Runs a command from the root for at most 60 s (a type check may fetch
 * nothing, but a cold cache compiles); stdout and stderr together. */
async function run(
  command: string,
  args: string[],
): Promise<{ code: number; printed: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const { code, stdout, stderr } = await child.output().finally(() =>
    clearTimeout(timer)
  );
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, printed: decode(stdout) + decode(stderr) };
}
