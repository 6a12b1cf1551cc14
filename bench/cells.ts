/**
 * The closed-loop cells a run measures beyond its grid (every size ×
 * connection count of the settings, for every server): the cells chapters
 * state in their facts (`bench.cells` in chapter.ts, `BenchFacts` in
 * `@echo-lab/lesson/facts`), each for the servers that chapter names and the
 * C reference, interleaved round by round like any cell (measure.ts). So a
 * lesson that needs, say, 64 KiB messages for two of its servers costs the
 * run those few measurements, not a second grid; and the bench names no
 * chapter.
 *
 * @module
 */
import { chapterNamed } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";
import type { Cell } from "./measure.ts";
import type { BenchServer } from "./servers.ts";
import { inGrid, type Settings } from "./results.ts";

/** One cell beyond the grid, and who is measured in it. */
export interface ExtraCell {
  cell: Cell;
  servers: BenchServer[];
}

/** The reference every ratio is taken to. */
const REFERENCE = "reference c";

/** The cells the chapters among `servers` state, minus those the grid of
 * `settings` measures anyway, in the order the chapters state them. */
export async function extraCells(
  settings: Settings,
  servers: BenchServer[],
): Promise<ExtraCell[]> {
  const reference = servers.filter((s) => s.id === REFERENCE);
  const chapters = [
    ...new Set(servers.flatMap((s) => s.chapter ? [s.chapter] : [])),
  ];
  const found: ExtraCell[] = [];
  for (const name of chapters) {
    const stated = (await loadFacts(chapterNamed(name))).bench?.cells ?? [];
    for (const { size, connections, tasks } of stated) {
      const named = servers.filter((s) =>
        s.chapter === name && tasks.includes(s.task)
      );
      if (named.length === 0) continue;
      for (const c of connections) {
        if (inGrid(settings, { size, connections: c })) continue;
        found.push({
          cell: { connections: c, size },
          servers: [...named, ...reference],
        });
      }
    }
  }
  return found;
}
