// Two roles. As the parent (no arguments): spawns itself as a child, prints
// the child's pid once the child is armed, then waits to be killed. As the
// child (`child PARENT_PID`): sets its parent-death signal and waits.
import { setParentDeathSignal } from "../prctl.ts";

if (Deno.args[0] === "child") {
  setParentDeathSignal("SIGTERM");
  if (Deno.ppid !== Number(Deno.args[1])) Deno.exit(1);
  console.log("armed");
  setTimeout(() => {}, 60_000);
} else {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      import.meta.filename!,
      "child",
      String(Deno.pid),
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  await reader.read(); // "armed"
  console.log(child.pid);
  await child.status;
}
