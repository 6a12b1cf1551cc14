/**
 * The I/O models as data: for each, one read of one socket as a sequence of
 * moments. Each moment says which phase the kernel is in (waiting for data,
 * copying it to user space, or done), what the application's thread is doing
 * meanwhile, and which call or signal crosses between them. `diagrams.ts`
 * draws a chapter's sequence diagram and the five-model figure from this.
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

const blockingRead = (appLane: string, appNote: string): Sequence => ({
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
const copyAndReturn = (
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

const readinessRead = (call: string, kernelNote: string): Sequence => ({
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

/** Each model by chapter folder name without its number (`01-blocking` →
 * `blocking`). */
export const SEQUENCES: Record<string, Sequence> = {
  blocking: blockingRead("application (one thread)", "asleep in recv()"),
  threaded: {
    ...blockingRead(
      "one thread per connection",
      "this thread sleeps; the others run",
    ),
    name: "blocking I/O, one thread per connection",
  },
  process: {
    ...blockingRead(
      "one process per connection",
      "this process sleeps; the others run",
    ),
    name: "blocking I/O, one process per connection",
  },
  nonblocking: {
    name: "non-blocking I/O",
    appLane: "application (one thread)",
    gist:
      "recv() returns at once with EAGAIN until data is there: the thread asks again and again.",
    moments: [
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "call", label: "recv()" },
      },
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "return", label: "EAGAIN" },
        kernelNote: "no data yet",
      },
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "call", label: "recv()" },
        appNote: "asks again, burning CPU",
      },
      {
        phase: "wait",
        app: "spinning",
        arrow: { kind: "return", label: "EAGAIN" },
        kernelNote: "still nothing",
      },
      ...copyAndReturn("recv()", {
        kernelNote: "data arrived: copies it to the user buffer",
      }),
    ],
  },
  select: readinessRead("select()", "scans every fd, none ready: sleeps"),
  epoll: readinessRead("epoll_wait()", "ready list empty: sleeps"),
  async: {
    name: "async/await over an event loop",
    appLane: "event loop (one JS thread)",
    gist:
      "await parks the task; the runtime sleeps in epoll_wait, then reads and resumes the task.",
    moments: [
      {
        phase: "wait",
        app: "free",
        appNote: "await conn.read(): the task parks, others run",
      },
      {
        phase: "wait",
        app: "blocked",
        arrow: { kind: "call", label: "epoll_wait()" },
        appNote: "nothing to run: the thread sleeps",
        kernelNote: "no socket ready",
      },
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "return", label: "fd readable" },
        kernelNote: "a packet arrives",
      },
      ...copyAndReturn("read()", { appNote: "the task resumes after await" }),
    ],
  },
  "signal-driven": {
    name: "signal-driven I/O",
    appLane: "application (one thread)",
    gist:
      "The kernel sends SIGIO when data is there; only the copy blocks the thread.",
    moments: [
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "call", label: "fcntl(O_ASYNC)" },
      },
      {
        phase: "wait",
        app: "free",
        arrow: { kind: "return", label: "0" },
        appNote: "free to do other work",
        kernelNote: "waits for a packet",
      },
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "notify", label: "SIGIO" },
        kernelNote: "a packet arrives",
      },
      ...copyAndReturn("recv()"),
    ],
  },
  "io-uring": {
    name: "asynchronous I/O (io_uring)",
    appLane: "application (one thread)",
    gist:
      "The thread submits the read and moves on; the kernel waits, copies, and posts a completion.",
    moments: [
      {
        phase: "wait",
        app: "running",
        arrow: { kind: "call", label: "io_uring_enter()" },
        appNote: "submits a recv request",
      },
      {
        phase: "wait",
        app: "free",
        arrow: { kind: "return", label: "submitted" },
        appNote: "free to do other work",
        kernelNote: "waits for a packet",
      },
      {
        phase: "copy",
        app: "free",
        kernelNote: "copies it to our buffer by itself",
      },
      {
        phase: "done",
        app: "running",
        arrow: { kind: "notify", label: "CQE: n bytes" },
        appNote: "finds the bytes already in place",
      },
    ],
  },
};

/** The sequence for a chapter folder such as `06-epoll`, if there is one. */
export function sequenceFor(slug: string): Sequence | undefined {
  return SEQUENCES[slug.replace(/^\d+-/, "")];
}

/** The five models of the classic comparison (Stevens, UNIX Network
 * Programming, figure 6.6), with the chapters that build each. */
export const FIVE_MODELS: { title: string; model: string; chapters: string }[] =
  [
    { title: "blocking", model: "blocking", chapters: "01 02 03" },
    { title: "non-blocking", model: "nonblocking", chapters: "04" },
    { title: "I/O multiplexing", model: "select", chapters: "05 06 07" },
    { title: "signal-driven", model: "signal-driven", chapters: "08" },
    { title: "asynchronous", model: "io-uring", chapters: "09" },
  ];
