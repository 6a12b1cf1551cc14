/**
 * A chapter's model as data: one read of one socket as a sequence of
 * moments. Each moment says which phase the kernel is in (waiting for data,
 * copying it to user space, or done), what the application's thread is doing
 * meanwhile, and which call or signal crosses between them. Each chapter's
 * `chapter.ts` gives its sequence, often built from the parts below; the site
 * draws it as the chapter's sequence diagram and in the five-model figure.
 *
 * @module
 */

/** What the kernel is doing for this read. */
export type Phase = "wait" | "copy" | "done";

/** What the application's thread is doing. */
export type AppState = "blocked" | "spinning" | "free" | "running";

/** One moment of a read. */
export interface Moment {
  phase: Phase;
  app: AppState;
  /** A call (application → kernel), its return, or a notification the
   * kernel sends on its own (a signal, a completion). */
  arrow?: { kind: "call" | "return" | "notify"; label: string };
  appNote?: string;
  kernelNote?: string;
}

/** One model's read, start to finish. */
export interface Sequence {
  /** The name of the model, e.g. "blocking I/O". */
  name: string;
  /** Who does the waiting on the application side. */
  appLane: string;
  /** One sentence: who waits, and where. */
  gist: string;
  moments: Moment[];
}

/** One read under blocking I/O: the thread sleeps in recv() through both
 * phases. `appLane` names who waits, `appNote` what it means. */
export const blockingRead = (appLane: string, appNote: string): Sequence => ({
  name: "blocking I/O",
  appLane,
  gist: "The thread calls recv() and sleeps in the kernel through both phases.",
  moments: [
    {
      phase: "wait",
      app: "blocked",
      arrow: { kind: "call", label: "recv()" },
      kernelNote: "no data yet",
    },
    {
      phase: "wait",
      app: "blocked",
      appNote,
      kernelNote: "waits for a packet",
    },
    {
      phase: "copy",
      app: "blocked",
      kernelNote: "data arrived: copies it to the user buffer",
    },
    {
      phase: "done",
      app: "running",
      arrow: { kind: "return", label: "n bytes" },
      appNote: "echoes them with send()",
    },
  ],
});

/** The last two moments of every model in which the thread makes the copy
 * call itself: it is blocked while the kernel copies the data into its
 * buffer, then the call returns with the bytes. */
export const copyAndReturn = (
  call: string,
  { appNote, kernelNote = "copies it to the user buffer" }: {
    appNote?: string;
    kernelNote?: string;
  } = {},
): Moment[] => [
  {
    phase: "copy",
    app: "blocked",
    arrow: { kind: "call", label: call },
    kernelNote,
  },
  {
    phase: "done",
    app: "running",
    arrow: { kind: "return", label: "n bytes" },
    ...(appNote ? { appNote } : {}),
  },
];

/** One read under I/O multiplexing: the thread sleeps in `call` on many
 * sockets at once, then reads only the ready one. */
export const readinessRead = (call: string, kernelNote: string): Sequence => ({
  name: "I/O multiplexing",
  appLane: "application (one thread)",
  gist:
    `The thread sleeps in ${call} on many sockets at once, then reads only the ready ones.`,
  moments: [
    {
      phase: "wait",
      app: "blocked",
      arrow: { kind: "call", label: call },
      kernelNote,
    },
    {
      phase: "wait",
      app: "blocked",
      appNote: "asleep, watching every socket",
      kernelNote: "a packet arrives",
    },
    {
      phase: "wait",
      app: "running",
      arrow: { kind: "return", label: "fd 5 readable" },
    },
    ...copyAndReturn("recv(5)", { appNote: "echoes, then waits again" }),
  ],
});
