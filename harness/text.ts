/**
 * Text for the lab's terminal commands (`deno task learn`, `deno task
 * fixit`): paragraphs wrapped to a terminal's width.
 *
 * @example
 * ```ts
 * import { wrap } from "@echo-lab/harness/text";
 * console.log("  task:  " + wrap("a long task ...", "         "));
 * ```
 *
 * @module
 */

/** `text` in lines of at most 79 columns, each after the first starting
 * with `prefix`. */
export function wrap(text: string, prefix: string): string {
  const lines = [""];
  for (const word of text.split(" ")) {
    if (lines.at(-1)!.length + word.length + prefix.length >= 79) {
      lines.push("");
    }
    lines[lines.length - 1] += (lines.at(-1) ? " " : "") + word;
  }
  return lines.join(`\n${prefix}`);
}
