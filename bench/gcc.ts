/**
 * The bench's C programs, compiled with gcc into a temp dir at bench time:
 * the C reference server and the load generator.
 *
 * @module
 */
import { join } from "node:path";

const LOADGEN_SOURCE = join(import.meta.dirname!, "loadgen", "loadgen.c");

/** Compiles `source` with `gcc -O2` (plus `flags`) into `binary`; returns
 * null, or why it could not. */
export async function compileC(
  source: string,
  binary: string,
  flags: string[] = [],
): Promise<string | null> {
  let build;
  try {
    build = await new Deno.Command("gcc", {
      args: ["-O2", ...flags, "-o", binary, source],
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "`gcc` is not installed (apt-get install gcc)";
    }
    throw error;
  }
  if (build.success) return null;
  return `gcc failed: ${new TextDecoder().decode(build.stderr).trim()}`;
}

/** Builds the load generator (bench/loadgen/loadgen.c) into `dir` and
 * returns its command; throws when it cannot be built. */
export async function buildLoadgen(
  dir: string,
  threads = 1,
): Promise<string[]> {
  const binary = join(dir, "loadgen");
  const why = await compileC(LOADGEN_SOURCE, binary, ["-pthread"]);
  if (why) throw new Error(`cannot build the load generator: ${why}`);
  return [binary, `--threads=${threads}`];
}
