/**
 * `deno task trace NN --mine` on a solved exercise: in a copy of the
 * repository, a chapter's my_server.ts is its server.ts, so the two traces
 * make the same transfers per echo; the report says so, and yours is
 * written under trace/results/NN-name/mine/ with the committed results left
 * as they were. Skipped, with the reason, where strace cannot attach.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { discoverChapters, ROOT } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";
import { straceWorks } from "@echo-lab/harness/strace";

const unavailable = await straceWorks();
if (unavailable) console.warn(`trace --mine test skipped: ${unavailable}`);

/** What is not copied: history, build output, dependencies. */
const SKIP = new Set([
  ".git",
  "node_modules",
  "site/dist",
  "tests/screenshots",
]);

function copyTree(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    const source = join(from, entry.name);
    if (SKIP.has(relative(ROOT, source))) continue;
    if (entry.isDirectory) copyTree(source, join(to, entry.name));
    else if (entry.isFile) Deno.copyFileSync(source, join(to, entry.name));
  }
}

Deno.test({
  name: "trace --mine: a solved exercise, traced beside the reference",
  ignore: unavailable !== null,
  async fn() {
    // One multiplexing chapter stands for all: the command is the same.
    let chapter;
    for (const candidate of discoverChapters()) {
      if ((await loadFacts(candidate)).family === "I/O multiplexing") {
        chapter = candidate;
        break;
      }
    }
    assert.ok(chapter, "no I/O multiplexing chapter");
    const copy = await Deno.makeTempDir({ prefix: "echo-lab-mine-" });
    try {
      copyTree(ROOT, copy);
      const dir = join(copy, "chapters", chapter.name);
      Deno.copyFileSync(join(dir, "server.ts"), join(dir, "my_server.ts"));
      const number = chapter.name.split("-")[0];
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "trace/run.ts", number, "--mine"],
        cwd: copy,
        stdout: "piped",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1" },
      }).output();
      const out = new TextDecoder().decode(stdout);
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      assert.match(out, /round trips: yours 8, the reference 8/);
      assert.match(
        out,
        /system call\s+yours\s+reference\s+yours\/echo\s+ref\/echo/,
      );
      assert.match(out, /Differences:/);
      // The same code makes the same transfers for the same scenario.
      assert.doesNotMatch(out, /calls (accept4|recvfrom|sendto) /, out);
      const results = join(copy, "trace", "results", chapter.name);
      for (const file of ["timeline.svg", "trace.txt", "meta.json"]) {
        assert.ok(Deno.statSync(join(results, "mine", file)).size > 0, file);
        assert.deepEqual(
          Deno.readFileSync(join(results, file)),
          Deno.readFileSync(join(ROOT, "trace", "results", chapter.name, file)),
          `the committed ${file} was rewritten`,
        );
      }
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  },
});
