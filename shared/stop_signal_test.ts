import assert from "node:assert/strict";

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} wakes a thread blocked in accept(2)`, async () => {
    const fixture = new URL("./testdata/stop_fixture.ts", import.meta.url);
    // The same minimal permissions the chapters' tasks grant.
    const watchdog = new URL("./stop_signal_worker.ts", import.meta.url);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-ffi",
        `--allow-read=${watchdog.pathname}`,
        fixture.pathname,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream());
    const reader = lines.getReader();
    let output = (await reader.read()).value ?? "";
    assert.match(output, /blocking in accept/);
    // The main thread is now inside accept(2): no JavaScript runs there, so
    // only the watchdog thread can react to the signal.
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill(signal);
    for (let chunk; !(chunk = await reader.read()).done;) output += chunk.value;
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0);
    assert.match(output, /woke: accept4: EINVAL .*; requested=true/);
  });
}
