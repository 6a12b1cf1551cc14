/**
 * Adding a chapter is adding a folder. In a temporary copy of the
 * repository, a throw-away chapter (chapter 07's files under a new name, with
 * a chapter.ts of its own) is picked up, with no other edit, by the
 * conformance suite (run for real), the robustness suite, the tracer, the
 * bench and the site (built for real).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "@echo-lab/harness/chapters";

const NAME = "99-throwaway";
const CLAIM = "the throw-away chapter's own promise, read from its chapter.ts";
const SKIP = new Set([".git", "node_modules", "dist", "screenshots"]);

/** Copies `from` into `to`, leaving out build output and VCS data. */
function copyTree(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    if (SKIP.has(entry.name)) continue;
    const [src, dst] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory) copyTree(src, dst);
    else if (entry.isFile) Deno.copyFileSync(src, dst);
  }
}

/** Runs `deno ...args` in `cwd`; returns stdout, fails with stderr. */
async function deno(cwd: string, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const out = text.decode(stdout);
  assert.equal(
    code,
    0,
    `deno ${args.join(" ")}:\n${out}\n${text.decode(stderr)}`,
  );
  return out;
}

Deno.test("a new chapter folder is picked up everywhere with no other edit", async (t) => {
  const copy = await Deno.makeTempDir({ prefix: "echo-lab-new-chapter-" });
  try {
    copyTree(ROOT, copy);
    const chapter = join(copy, "chapters", NAME);
    copyTree(join(copy, "chapters/07-async"), chapter);
    Deno.writeTextFileSync(
      join(chapter, "chapter.ts"),
      Deno.readTextFileSync(join(chapter, "chapter.ts"))
        .replace(/claim:[^,]*,/s, `claim: ${JSON.stringify(CLAIM)},`),
    );

    await t.step("the conformance suite tests its server", async () => {
      const out = await deno(
        copy,
        "test",
        "--allow-all",
        "tests/conformance_test.ts",
        "--filter",
        NAME,
      );
      assert.match(
        out,
        new RegExp(`${NAME} server: echo contract \\.\\.\\. .*ok`),
      );
      assert.match(out, /ok \| [1-9]\d* passed/);
    });

    // What the robustness suite, the tracer and the bench iterate over, from
    // their own modules in the copy.
    const probe = join(copy, "probe.ts");
    Deno.writeTextFileSync(
      probe,
      `import { discoverChapters, serverTasks } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";
import { findServers } from "./bench/servers.ts";
const chapter = discoverChapters().find((c) => c.name === ${
        JSON.stringify(NAME)
      })!;
console.log(JSON.stringify({
  suites: serverTasks(chapter).map((task) => \`\${chapter.name} \${task}\`),
  trace: (await loadFacts(chapter)).trace.claim,
  bench: (await findServers([], [], Deno.makeTempDirSync(), [])).map((s) => s.id),
}));
`,
    );
    const found = JSON.parse(
      await deno(copy, "run", "--allow-all", "--config", "deno.json", probe),
    );

    await t.step("the robustness suite finds its server", () => {
      assert.deepEqual(found.suites, [`${NAME} server`]);
    });
    await t.step("the tracer holds it to its own promise", () => {
      assert.equal(found.trace, CLAIM);
    });
    await t.step("the bench measures it", () => {
      assert.ok(found.bench.includes(`${NAME} server`), found.bench.join(", "));
    });

    await t.step(
      "the site gives it a page and a place in the figure",
      async () => {
        await deno(copy, "task", "site");
        const dist = join(copy, "site/dist");
        const page = Deno.readTextFileSync(join(dist, `chapters/${NAME}.html`));
        assert.match(page, /<svg class="diagram" id="seq-99-throwaway"/);
        const home = Deno.readTextFileSync(join(dist, "index.html"));
        // A copy of 07: listed with 07 in the same column of the figure.
        assert.match(home, /chapters (?:\d\d )*07 (?:\d\d )*99</);
        assert.ok(home.includes(`chapters/${NAME}.html`));
      },
    );
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});
