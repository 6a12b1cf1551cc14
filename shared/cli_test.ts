import assert from "node:assert/strict";
import { runFixture } from "./testdata/run_fixture.ts";

const run = (...args: string[]) => runFixture("cli_fixture.ts", args);

Deno.test("defaults: 127.0.0.1:7007 and each flag's default", async () => {
  const { code, stdout } = await run();
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(stdout), {
    address: { family: "ipv4", host: "127.0.0.1", port: 7007 },
    flags: { edge: false, workers: 4, mode: "a" },
  });
});

Deno.test("flags and values are parsed", async () => {
  const { stdout } = await run(
    "--host",
    "::1",
    "--port",
    "0",
    "--edge",
    "--workers",
    "8",
    "--mode",
    "b",
  );
  assert.deepEqual(JSON.parse(stdout), {
    address: { family: "ipv6", host: "::1", port: 0 },
    flags: { edge: true, workers: 8, mode: "b" },
  });
});

Deno.test("bad input: one clear line, usage, exit 2, no stack trace", async (t) => {
  for (
    const [args, message] of [
      [["--port", "70000"], 'invalid --port "70000"'],
      [["--port", "http"], 'invalid --port "http"'],
      [["--frobnicate"], "Unknown option '--frobnicate'"],
      [["--workers", "0"], 'invalid --workers "0"'],
      [["--mode", "c"], 'invalid --mode "c"'],
      [["--host", "example.com"], 'invalid host "example.com"'],
      [["stray"], "Unexpected argument 'stray'"],
    ] as const
  ) {
    await t.step(args.join(" "), async () => {
      const { code, stdout, stderr } = await run(...args);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.ok(stderr.split("\n")[0].includes(message), stderr);
      assert.match(stderr, /usage: cli_fixture/);
      assert.doesNotMatch(stderr, /\bat .*:\d+:\d+/, "no stack trace");
    });
  }
});

Deno.test("--help prints usage to stdout and exits 0", async () => {
  const { code, stdout } = await run("--help");
  assert.equal(code, 0);
  assert.match(stdout, /--workers WORKERS/);
});
