/**
 * Named regions in source files: the parts of the tested code a README shows.
 *
 * A region is the lines between `// #region NAME` and its matching
 * `// #endregion` (`#` comments work too, for shell and YAML). Regions may
 * nest; the marker lines of nested regions are left out of the listing, and
 * the listing is dedented so it reads as if it stood on its own.
 *
 * @example
 * ```ts
 * import { extractRegion } from "./regions.ts";
 * const source = "if (x) {\n  // #region body\n  run();\n  // #endregion\n}\n";
 * console.log(extractRegion(source, "body").text); // "run();"
 * ```
 *
 * @module
 */

/** A region's text and where it sits in its file. */
export interface Region {
  /** The region's lines, dedented, without marker lines. */
  text: string;
  /** 1-based line number of the first line shown. */
  startLine: number;
  /** 1-based line number of the last line shown. */
  endLine: number;
}

const START = /^\s*(?:\/\/|#)\s*#region\s+([\w.-]+)\s*$/;
const END = /^\s*(?:\/\/|#)\s*#endregion\b/;

/** True when `line` is a region marker, opening or closing. */
export function isRegionMarker(line: string): boolean {
  return START.test(line) || END.test(line);
}

/** The names of every region in `source`, in order of appearance. */
export function regionNames(source: string): string[] {
  return source.split("\n").flatMap((line) => line.match(START)?.[1] ?? []);
}

/** The region `name` of `source`. Throws when the region is missing,
 * defined twice, or never closed. */
export function extractRegion(source: string, name: string): Region {
  const lines = source.split("\n");
  const starts = lines.flatMap((line, i) =>
    line.match(START)?.[1] === name ? [i] : []
  );
  if (starts.length === 0) {
    const known = regionNames(source);
    throw new Error(
      `no region "${name}" (regions here: ${known.join(", ") || "none"})`,
    );
  }
  if (starts.length > 1) throw new Error(`region "${name}" is defined twice`);
  let depth = 0;
  const body: { line: string; number: number }[] = [];
  for (let i = starts[0] + 1; i < lines.length; i++) {
    if (START.test(lines[i])) depth++;
    else if (END.test(lines[i])) {
      if (depth === 0) return toRegion(body);
      depth--;
    } else body.push({ line: lines[i], number: i + 1 });
  }
  throw new Error(`region "${name}" has no matching #endregion`);
}

function toRegion(body: { line: string; number: number }[]): Region {
  while (body.length > 0 && body[0].line.trim() === "") body.shift();
  while (body.length > 0 && body.at(-1)!.line.trim() === "") body.pop();
  if (body.length === 0) throw new Error("region is empty");
  const indent = Math.min(
    ...body.filter((l) => l.line.trim() !== "").map((l) =>
      l.line.match(/^[ \t]*/)![0].length
    ),
  );
  return {
    text: body.map((l) => l.line.slice(indent)).join("\n"),
    startLine: body[0].number,
    endLine: body.at(-1)!.number,
  };
}
