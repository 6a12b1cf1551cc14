/**
 * The ```ts fences of every chapter README (and the root README) type-check,
 * as `deno check --doc-only` sees them: code a reader copies must compile.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverChapters, ROOT } from "@echo-lab/harness/chapters";

Deno.test("TypeScript in the READMEs type-checks", async () => {
  const readmes = [
    join(ROOT, "README.md"),
    ...discoverChapters().map((c) => join(c.dir, "README.md")),
  ].filter((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "--doc-only", ...readmes],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});
