/**
 * Making an exercise's stub from the chapter's server.ts: each
 * `// #region exercise-NAME` ... `// #endregion` becomes a TODO that says
 * what the part does (from the README), the first also the NOT_DONE line,
 * and every other line stays as the chapter has it.
 * The stub therefore never drifts from the tested chapter; a test checks that
 * every shipped stub equals what this produces.
 *
 * @module
 */
import {
  type Exercise,
  EXERCISE_REGION,
  NOT_DONE,
  yourTurn,
} from "./exercise.ts";

const REGION_START = /^\s*\/\/\s*#region\b/;
const REGION_END = /^\s*\/\/\s*#endregion\b/;

/** The stub of `exercise`, as `deno task exercise:stubs` writes it. */
export function stubOf(exercise: Exercise): string {
  return makeStub(
    exercise,
    Deno.readTextFileSync(exercise.solution),
    yourTurn(exercise).parts,
  );
}

/** The stub of `exercise`, from the text of its server.ts and what each
 * part must do (from its README). */
export function makeStub(
  exercise: Exercise,
  source: string,
  parts: Record<string, string>,
): string {
  const out = [
    `// Exercise ${exercise.number}, made from server.ts by \`deno task exercise:stubs\`.`,
    `// \`deno task exercise:reset ${exercise.number}\` puts this file back as it was.`,
  ];
  let notDone = true;
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i].match(EXERCISE_REGION);
    if (!start) {
      out.push(lines[i]);
      continue;
    }
    const [, indent, name] = start;
    i = endOfRegion(lines, i, name);
    if (!parts[name]) {
      throw new Error(
        `${exercise.readme}: "Your turn" lists no part \`${name}\``,
      );
    }
    out.push(...comment(`TODO(${name}): ${parts[name]}`, indent));
    if (notDone) {
      out.push(
        `${indent}${NOT_DONE}`,
        `${indent}// (delete the line above to have your code checked by`,
        `${indent}// \`deno task exercise ${exercise.number}\`; stuck? \`deno task hint ${exercise.number}\`)`,
      );
      notDone = false;
    }
  }
  return out.join("\n");
}

/** `text` as `//` comment lines of at most 80 columns, after `indent`. */
function comment(text: string, indent: string): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + word.length + 1 <= 80) {
      lines[lines.length - 1] = `${last} ${word}`;
    } else lines.push(`${indent}// ${word}`);
  }
  return lines;
}

/** The chapter's server.ts as the reader would write it by hand: the same
 * code without the exercise markers (what the "solved by hand" test uses). */
export function solvedByHand(source: string): string {
  const lines = source.split("\n");
  const out: string[] = [];
  const ends = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i].match(EXERCISE_REGION);
    if (start) ends.add(endOfRegion(lines, i, start[2]));
    else if (!ends.has(i)) out.push(lines[i]);
  }
  return out.join("\n");
}

/** Where the answers are in the chapter's server.ts: each exercise region's
 * name and its first and last line (1-based, markers excluded). */
export function answerRegions(
  source: string,
): { name: string; from: number; to: number }[] {
  const lines = source.split("\n");
  return lines.flatMap((line, i) => {
    const start = line.match(EXERCISE_REGION);
    if (!start) return [];
    return [{
      name: start[2],
      from: i + 2,
      to: endOfRegion(lines, i, start[2]),
    }];
  });
}

/** The index of the `#endregion` that closes the region opened at `start`. */
function endOfRegion(lines: string[], start: number, name: string): number {
  let depth = 0;
  for (let i = start + 1; i < lines.length; i++) {
    if (REGION_START.test(lines[i])) depth++;
    else if (REGION_END.test(lines[i])) {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new Error(`region "exercise-${name}" has no matching #endregion`);
}
