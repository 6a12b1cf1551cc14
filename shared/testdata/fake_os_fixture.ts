// Loads a chapter's program as if on another operating system: sets the
// `host.os` that platform.ts checks to $FAKE_OS, then imports $PROGRAM (both
// from the environment, so the program's own Deno.args stay its own).
import { host } from "../platform.ts";

host.os = Deno.env.get("FAKE_OS")!;
await import(Deno.env.get("PROGRAM")!);
