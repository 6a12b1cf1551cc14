import assert from "node:assert/strict";

const cases = [
  { signal: "SIGTERM", exhaustFds: false },
  { signal: "SIGINT", exhaustFds: false },
  // A Ctrl-C often comes twice (the terminal signals the process group, and
  // `deno task` forwards it): one arriving after close() must be ignored,
  // not end the process with the signal's default action (exit 143).
  { signal: "SIGINT", exhaustFds: false, signalAgain: true },
  // watchStopSignals returns only once the watchdog listens, so a server
  // that fills its descriptor table right away cannot starve it (before it
  // did, Deno panicked in the watchdog: "Too many open files").
  { signal: "SIGTERM", exhaustFds: true },
] as const;

for (const { signal, exhaustFds, ...rest } of cases) {
  const signalAgain = "signalAgain" in rest;
  const after = exhaustFds
    ? ", after a full descriptor table at start-up,"
    : "";
  const again = signalAgain ? ", and a SIGTERM after close() is ignored" : "";
  Deno.test(`${signal}${after} wakes a thread blocked in accept(2)${again}`, async () => {
    const fixture = new URL("./testdata/stop_fixture.ts", import.meta.url);
    // The same minimal permission the chapters' tasks grant.
    const deno = [
      Deno.execPath(),
      "run",
      "--allow-ffi",
      fixture.pathname,
      ...(signalAgain ? ["--signal-again"] : []),
    ];
    const command = exhaustFds
      ? ["prlimit", "--nofile=64:64", ...deno, "--exhaust-fds"]
      : deno;
    const child = new Deno.Command(command[0], {
      args: command.slice(1),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let output = (await reader.read()).value ?? "";
    if (!output.includes("blocking in accept")) assert.fail(await stderr);
    // The main thread is now inside accept(2): no JavaScript runs there, so
    // only the watchdog thread can react to the signal.
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill(signal);
    for (let chunk; !(chunk = await reader.read()).done;) output += chunk.value;
    const status = await child.status;
    assert.equal(status.code, 0, await stderr);
    assert.match(output, /woke: accept4: EINVAL .*; requested=true/);
    if (signalAgain) assert.match(output, /ignored a signal after close/);
  });
}
