/**
 * What makes Deno's async I/O chapter 06 with the loop written for you: one
 * thread, asleep in the runtime's epoll_wait, serving every client as a task.
 * The check is the chapter's promise as model.ts states it, which the
 * exercise grader runs too.
 */
import { chapterNamed } from "@echo-lab/harness/chapters";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

testModel(chapterNamed("07-async"), model);
