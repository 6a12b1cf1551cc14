import assert from "node:assert/strict";
import { setParentDeathSignal } from "./prctl.ts";

Deno.test("setParentDeathSignal: a child dies with its SIGKILLed parent", async () => {
  const fixture = new URL("./testdata/orphan_fixture.ts", import.meta.url);
  const parent = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-run", fixture.pathname],
    stdout: "piped",
  }).spawn();
  const reader = parent.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  const child = Number((await reader.read()).value);
  assert(child > 0, "the fixture printed its child's pid");
  assert(isRunning(child), "the child runs while its parent lives");
  // SIGKILL: the parent runs no code at all, so only the kernel can tell
  // the child.
  parent.kill("SIGKILL");
  await parent.status;
  await reader.cancel();
  const deadline = Date.now() + 5_000;
  while (isRunning(child) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert(!isRunning(child), `child ${child} outlived its parent`);
});

Deno.test("setParentDeathSignal: null cancels, and both calls succeed", () => {
  setParentDeathSignal("SIGTERM");
  setParentDeathSignal(null);
});

/** Exists and is not a zombie waiting for its new parent to reap it. */
function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}
