/**
 * A marked change to a chapter's file: the text `find`, which must occur
 * exactly once, replaced by `replace`. The fix-its put a classic bug back
 * into a chapter's server this way (fixit/), and the exercise tests build
 * their wrong solutions this way (exercises/testdata/): from the chapter's
 * code as it is now, so neither keeps a copy of it to drift.
 *
 * @example
 * ```ts
 * import { applyChanges } from "@echo-lab/harness/change";
 * const buggy = applyChanges(source, [{ find: "-1", replace: "1" }], "x");
 * ```
 *
 * @module
 */

/** In a file, `find` (exactly once) replaced by `replace`. */
export interface Change {
  find: string;
  replace: string;
}

/** `text` with each change made in turn. Throws, naming `what`, when a
 * `find` is not in the text exactly once: the code moved on, and a change
 * that silently did nothing would leave its mistake out. */
export function applyChanges(
  text: string,
  changes: Change[],
  what: string,
): string {
  for (const { find, replace } of changes) {
    const at = text.indexOf(find);
    if (at < 0 || text.indexOf(find, at + 1) >= 0) {
      throw new Error(
        `${what}: a change does not apply once any more (its find, ` +
          `${JSON.stringify(find.split("\n")[0])}..., is ` +
          `${at < 0 ? "not there" : "there more than once"}); update it`,
      );
    }
    text = text.slice(0, at) + replace + text.slice(at + find.length);
  }
  return text;
}
