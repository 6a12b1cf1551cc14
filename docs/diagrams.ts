/**
 * SVG figures drawn at build time from the chapters' sequences (each
 * chapter's `chapter.ts`, typed by `@echo-lab/lesson/sequence`): one sequence
 * diagram per model (application and kernel lanes, the two phases of a read)
 * and the classic five-model comparison. Colours come from CSS classes, so
 * the figures follow the page into dark mode.
 *
 * @module
 */
import { escapeHtml } from "./escape.ts";
import type {
  AppState,
  Moment,
  Phase,
  Sequence,
} from "@echo-lab/lesson/sequence";
import { type ChapterFacts, FAMILIES } from "@echo-lab/lesson/facts";

/** One column of the five-model figure: a family, the chapters that build
 * it, and the first one's sequence. */
interface Column {
  title: string;
  chapters: string;
  seq: Sequence;
}

/** The families in the classic order, each with its chapters (`number`s in
 * reading order) and the sequence of the first. */
function columns(
  chapters: { number: string; facts: ChapterFacts }[],
): Column[] {
  return FAMILIES.flatMap((family) => {
    const members = chapters.filter((c) => c.facts.family === family);
    if (members.length === 0) return [];
    return [{
      title: family,
      chapters: members.map((c) => c.number).join(" "),
      seq: members[0].facts.sequence,
    }];
  });
}

const PHASE_LABEL: Record<Phase, string> = {
  wait: "1 · wait for data",
  copy: "2 · copy to user",
  done: "done",
};

const STATE_LABEL: Record<AppState, string> = {
  blocked: "blocked in the kernel",
  spinning: "busy, asking again",
  free: "free for other work",
  running: "running",
};

/** A sequence diagram of one read under `seq`, as an inline `<svg>` (or,
 * given `css`, a file of its own: see `svg`). */
export function sequenceDiagram(
  seq: Sequence,
  id: string,
  css?: string,
): string {
  const W = 760, top = 56, rowH = 56;
  const appX = 300, kernelX = 540;
  const h = top + seq.moments.length * rowH + 60;
  const y = (i: number) => top + i * rowH;
  const parts: string[] = [arrowMarkers(id)];

  // Phase bands behind everything, labelled on the left.
  for (const band of bands(seq.moments)) {
    if (band.phase === "done") continue;
    const y0 = y(band.from), y1 = y(band.to);
    parts.push(
      `<rect class="d-band d-${band.phase}" x="0" y="${y0}" width="${W}" height="${
        y1 - y0
      }" rx="6"/>`,
      textBlock(
        PHASE_LABEL[band.phase],
        12,
        y0 + 18,
        "start",
        10,
        "d-phase",
        0,
      ),
    );
  }
  // Lane titles and lifelines.
  for (
    const [x, label] of [[appX, seq.appLane], [kernelX, "kernel"]] as const
  ) {
    parts.push(
      `<text class="d-lane" x="${x}" y="24" text-anchor="middle">${
        escapeHtml(label)
      }</text>`,
      `<line class="d-life" x1="${x}" y1="34" x2="${x}" y2="${h - 40}"/>`,
    );
  }
  seq.moments.forEach((m, i) => {
    const mid = y(i) + rowH / 2;
    parts.push(
      `<rect class="d-app d-${m.app}" x="${appX - 7}" y="${
        y(i) + 2
      }" width="14" height="${rowH - 4}" rx="3"><title>${
        STATE_LABEL[m.app]
      }</title></rect>`,
    );
    if (m.arrow) {
      parts.push(
        ...arrow(id, m.arrow, appX, kernelX, mid, (appX + kernelX) / 2),
      );
    }
    if (m.appNote) {
      parts.push(textBlock(m.appNote, appX - 18, mid, "end", 22));
    }
    if (m.kernelNote) {
      parts.push(textBlock(m.kernelNote, kernelX + 16, mid, "start", 24));
    }
  });
  parts.push(legend(h - 22, W));
  const title = `Sequence of one read: ${seq.name}`;
  return svg(id, W, h, title, describe(seq), parts, css);
}

/** `sequenceDiagram` for a phone: the lanes at the edges, each arrow's
 * label above it, and the notes under it across the whole width, so the
 * figure is 360 wide and its text reads at full size on a 390 px screen. */
export function narrowSequenceDiagram(seq: Sequence, id: string): string {
  const W = 360, appX = 28, kernelX = W - 28, head = 22, top = 50;
  const mid = (appX + kernelX) / 2;
  const wrapAt = 40;
  // Each row: the arrow (or a gap), then its notes, a line each 16 high.
  const notes = seq.moments.map((m) => [
    ...(m.appNote ? wrap(m.appNote, wrapAt).map((l) => ["app", l]) : []),
    ...(m.kernelNote
      ? wrap(`kernel: ${m.kernelNote}`, wrapAt).map((l) => ["kernel", l])
      : []),
  ]);
  const rowTop: number[] = [];
  let y = top;
  seq.moments.forEach((m, i) => {
    if (i === 0 || seq.moments[i - 1].phase !== m.phase) y += head;
    rowTop.push(y);
    y += 34 + notes[i].length * 16 + 6;
  });
  const h = y + 60;
  const parts: string[] = [arrowMarkers(id)];
  for (const band of bands(seq.moments)) {
    if (band.phase === "done") continue;
    const y0 = rowTop[band.from] - head;
    const y1 = rowTop[band.to] !== undefined ? rowTop[band.to] - head : h - 60;
    parts.push(
      `<rect class="d-band d-${band.phase}" x="0" y="${y0}" width="${W}" height="${
        y1 - y0
      }" rx="6"/>`,
      `<text class="d-phase" x="${appX + 16}" y="${y0 + 16}">${
        PHASE_LABEL[band.phase]
      }</text>`,
    );
  }
  for (
    const [x, label, anchor] of [
      [appX - 8, seq.appLane, "start"],
      [kernelX + 8, "kernel", "end"],
    ] as const
  ) {
    parts.push(
      `<text class="d-lane" x="${x}" y="24" text-anchor="${anchor}">${
        escapeHtml(label)
      }</text>`,
    );
  }
  for (const x of [appX, kernelX]) {
    parts.push(
      `<line class="d-life" x1="${x}" y1="34" x2="${x}" y2="${h - 56}"/>`,
    );
  }
  seq.moments.forEach((m, i) => {
    const y0 = rowTop[i];
    const y1 = i + 1 < seq.moments.length
      ? rowTop[i + 1] - (seq.moments[i + 1].phase !== m.phase ? head : 0)
      : h - 60;
    parts.push(
      `<rect class="d-app d-${m.app}" x="${appX - 7}" y="${
        y0 + 2
      }" width="14" height="${y1 - y0 - 4}" rx="3"><title>${
        STATE_LABEL[m.app]
      }</title></rect>`,
    );
    const arrowY = y0 + 26;
    if (m.arrow) parts.push(...arrow(id, m.arrow, appX, kernelX, arrowY, mid));
    notes[i].forEach(([who, line], n) => {
      parts.push(
        `<text class="d-note" x="${
          who === "kernel" ? kernelX - 14 : appX + 16
        }" y="${arrowY + 22 + n * 16}" text-anchor="${
          who === "kernel" ? "end" : "start"
        }">${escapeHtml(line)}</text>`,
      );
    });
  });
  parts.push(legend(h - 38, W));
  return svg(
    id,
    W,
    h,
    `Sequence of one read: ${seq.name}`,
    describe(seq),
    parts,
  );
}

/** The five models side by side, each as the application's timeline across
 * the two phases of a read, with the chapters that build each. */
export function fiveModelFigure(
  id: string,
  chapters: { number: string; facts: ChapterFacts }[],
  css?: string,
  perRow = Infinity,
): string {
  const models = columns(chapters);
  const across = Math.min(perRow, models.length);
  const gutter = 40, colW = 164, W = gutter + across * colW;
  const rowH = 540;
  const bandY: Record<Phase, [number, number]> = {
    wait: [70, 320],
    copy: [320, 430],
    done: [430, 470],
  };
  const parts: string[] = [];
  const rows = Math.ceil(models.length / across);
  for (let r = 0; r < rows; r++) {
    for (const phase of ["wait", "copy"] as const) {
      const [y0, y1] = bandY[phase].map((y) => y + r * rowH);
      parts.push(
        `<rect class="d-band d-${phase}" x="0" y="${y0}" width="${W}" height="${
          y1 - y0
        }"/>`,
        `<text class="d-phase" transform="translate(22 ${
          (y0 + y1) / 2
        }) rotate(-90)" text-anchor="middle">${PHASE_LABEL[phase]}</text>`,
      );
    }
  }
  models.forEach((col, c) => {
    const seq = col.seq;
    const dy = Math.floor(c / across) * rowH;
    const x0 = gutter + (c % across) * colW, barX = x0 + colW - 22;
    parts.push(
      `<text class="d-lane" x="${x0 + colW / 2}" y="${
        dy + 26
      }" text-anchor="middle">${escapeHtml(col.title)}</text>`,
      `<text class="d-small" x="${x0 + colW / 2}" y="${
        dy + 46
      }" text-anchor="middle">chapters ${col.chapters}</text>`,
    );
    for (const phase of ["wait", "copy", "done"] as const) {
      const moments = seq.moments.filter((m) => m.phase === phase);
      const [y0, y1] = bandY[phase].map((y) => y + dy);
      const step = (y1 - y0) / Math.max(1, moments.length);
      moments.forEach((m, i) => {
        const top = y0 + i * step;
        parts.push(
          `<rect class="d-app d-${m.app}" x="${barX - 6}" y="${
            top + 1
          }" width="12" height="${step - 2}" rx="3"><title>${
            STATE_LABEL[m.app]
          }</title></rect>`,
        );
        if (m.arrow) {
          const label = m.arrow.kind === "return"
            ? `← ${m.arrow.label}`
            : m.arrow.label;
          parts.push(
            `<text class="d-label d-${m.arrow.kind}-text" x="${barX - 12}" y="${
              top + step / 2 + 4
            }" text-anchor="end">${escapeHtml(label)}</text>`,
          );
        }
      });
    }
  });
  // Which are synchronous: the copy (phase 2) blocks the caller in all but
  // the last column.
  const brace = (from: number, to: number, text: string, dy: number) => {
    const y = 492 + dy, x = (from + to) / 2;
    const lines = wrap(text, Math.floor((to - from) / 7));
    return `<path class="d-brace" d="M${from + 6} ${y - 6}V${y}H${to - 6}V${
      y - 6
    }"/><text class="d-small" x="${x}" y="${y + 18}" text-anchor="middle">${
      lines.length === 1
        ? escapeHtml(text)
        : lines.map((line, i) =>
          `<tspan x="${x}" dy="${i === 0 ? 0 : 16}">${escapeHtml(line)}</tspan>`
        ).join("")
    }</text>`;
  };
  const sync = "synchronous: the thread is blocked while the kernel copies";
  for (let r = 0; r < rows; r++) {
    const first = r * across, last = Math.min(models.length, first + across);
    const syncEnd = Math.min(last, 4);
    const x = (c: number) => gutter + (c - first) * colW;
    if (first < syncEnd) {
      parts.push(brace(x(first), x(syncEnd), sync, r * rowH));
    }
    if (last > 4) {
      parts.push(
        brace(x(Math.max(first, 4)), x(last), "asynchronous", r * rowH),
      );
    }
  }
  const legendY = (rows - 1) * rowH + 544;
  parts.push(legend(legendY, W));
  const desc = models.map((col) =>
    `${col.title} (chapters ${col.chapters}): ${col.seq.gist}`
  ).join(" ");
  return svg(
    id,
    W,
    legendY + legendHeight(W),
    "The five I/O models compared: what the application does during each phase of a read",
    desc,
    parts,
    css,
  );
}

/** An `<svg>` for a page that styles it, or, given `css` (the page's
 * rules for the figure), a file of its own, such as an `<img>` on GitHub: it
 * then carries its size, that style sheet and its own background, so it
 * reads on a light page and a dark one alike. */
function svg(
  id: string,
  w: number,
  h: number,
  title: string,
  desc: string,
  parts: string[],
  css?: string,
): string {
  const own = css
    ? {
      size: ` width="${w}" height="${h}"`,
      head:
        `<style>${css}</style><rect class="d-page" width="${w}" height="${h}"/>`,
    }
    : { size: "", head: "" };
  return `<svg class="diagram" id="${id}"${own.size} viewBox="0 0 ${w} ${h}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="${id}-title">${
    escapeHtml(title)
  }</title><desc id="${id}-desc">${escapeHtml(desc)}</desc>${own.head}${
    parts.join("")
  }</svg>`;
}

/** A call into the kernel, or its return or notice back, between the
 * application's lane at `appX` and the kernel's at `kernelX`, at height `y`,
 * labelled above at `labelX`. */
function arrow(
  id: string,
  { kind, label }: NonNullable<Moment["arrow"]>,
  appX: number,
  kernelX: number,
  y: number,
  labelX: number,
): string[] {
  const [x1, x2] = kind === "call"
    ? [appX + 9, kernelX - 4]
    : [kernelX - 4, appX + 11];
  return [
    `<line class="d-arrow d-${kind}" x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" marker-end="url(#${id}-${kind})"/>`,
    `<text class="d-label" x="${labelX}" y="${y - 8}" text-anchor="middle">${
      escapeHtml(label)
    }</text>`,
  ];
}

function arrowMarkers(id: string): string {
  return `<defs>${
    (["call", "return", "notify"] as const).map((kind) =>
      `<marker id="${id}-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="d-head d-${kind}" d="M0 0L10 5L0 10z"/></marker>`
    ).join("")
  }</defs>`;
}

const LEGEND_ITEM = 170, LEGEND_LINE = 20;

/** The app states' key, centred, in as many lines as `width` needs. */
function legend(y: number, width: number): string {
  const states = Object.keys(STATE_LABEL) as AppState[];
  const perLine = Math.max(1, Math.floor(width / LEGEND_ITEM));
  const across = Math.min(perLine, states.length);
  const x0 = (width - across * LEGEND_ITEM) / 2;
  return states.map((state, i) => {
    const x = x0 + (i % perLine) * LEGEND_ITEM;
    const ly = y + Math.floor(i / perLine) * LEGEND_LINE;
    return `<rect class="d-app d-${state}" x="${x}" y="${
      ly - 10
    }" width="12" height="12" rx="2"/><text class="d-small" x="${
      x + 18
    }" y="${ly}">${STATE_LABEL[state]}</text>`;
  }).join("");
}

/** The space `legend` takes below its first line's baseline, plus a
 * margin. */
function legendHeight(width: number): number {
  const states = Object.keys(STATE_LABEL).length;
  const perLine = Math.max(1, Math.floor(width / LEGEND_ITEM));
  return (Math.ceil(states / perLine) - 1) * LEGEND_LINE + 22;
}

/** `text` wrapped at `width` characters, centred vertically on `y` (or,
 * with `centre` 0, starting there). */
function textBlock(
  text: string,
  x: number,
  y: number,
  anchor: "start" | "end",
  width: number,
  cls = "d-note",
  centre = 1,
): string {
  const lines = wrap(text, width);
  const first = y + 5 - centre * (lines.length - 1) * 8;
  return `<text class="${cls}" x="${x}" y="${first}" text-anchor="${anchor}">${
    lines.map((line, i) =>
      `<tspan x="${x}" dy="${i === 0 ? 0 : 16}">${escapeHtml(line)}</tspan>`
    ).join("")
  }</text>`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.at(-1);
    if (last !== undefined && (last + " " + word).length <= width) {
      lines[lines.length - 1] = last + " " + word;
    } else lines.push(word);
  }
  return lines;
}

function bands(moments: Moment[]) {
  const out: { phase: Phase; from: number; to: number }[] = [];
  moments.forEach((m, i) => {
    const last = out.at(-1);
    if (last?.phase === m.phase) last.to = i + 1;
    else out.push({ phase: m.phase, from: i, to: i + 1 });
  });
  return out;
}

/** The diagram in words, for screen readers and search. */
function describe(seq: Sequence): string {
  const steps = seq.moments.map((m) => {
    const arrow = m.arrow
      ? m.arrow.kind === "call"
        ? `the application calls ${m.arrow.label}`
        : m.arrow.kind === "return"
        ? `the call returns ${m.arrow.label}`
        : `the kernel notifies: ${m.arrow.label}`
      : "";
    return [arrow, m.kernelNote && `kernel: ${m.kernelNote}`, m.appNote]
      .filter(Boolean).join("; ");
  });
  return `${seq.gist} Step by step: ${steps.join(". ")}.`;
}
