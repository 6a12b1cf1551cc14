/**
 * Away from Linux, every FFI chapter says in one line what it needs and
 * where to go instead; chapter 07, which uses only Deno's own API, runs.
 * The operating system is faked (see shared/testdata/fake_os_fixture.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverChapters, ROOT } from "@echo-lab/harness/chapters";

const FIXTURE = join(ROOT, "shared/testdata/fake_os_fixture.ts");
const MESSAGE = "this chapter needs Linux (this is darwin): " +
  "the chapter on Deno's own async I/O runs everywhere; " +
  "run the others in a Linux VM or container\n";

/** Runs `program` under the fixture with `os` faked, for at most 20 s. */
async function runAs(os: string, program: string, args: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", FIXTURE, ...args],
    env: { FAKE_OS: os, PROGRAM: program, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

for (const chapter of discoverChapters()) {
  if (!/--allow-ffi/.test(chapter.tasks.server ?? "")) continue;
  for (const program of ["server.ts", "client.ts"]) {
    Deno.test(`${chapter.name} ${program} on darwin: one line naming Linux and chapter 07, exit 1`, async () => {
      const { code, stdout, stderr } = await runAs(
        "darwin",
        join(chapter.dir, program),
      );
      assert.equal(stderr, MESSAGE);
      assert.equal(stdout, "");
      assert.equal(code, 1);
    });
  }
}

Deno.test("07-async server on darwin starts (it loads no libc)", async () => {
  // --help: the program parses its arguments, prints usage and exits 0,
  // after every module it imports has been loaded.
  const program = join(ROOT, "chapters/07-async/server.ts");
  const { code, stdout, stderr } = await runAs("darwin", program, ["--help"]);
  assert.equal(stderr, "", stderr);
  assert.equal(code, 0);
  assert.match(stdout, /usage/i);
});
