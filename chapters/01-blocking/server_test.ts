/**
 * The property that defines the blocking model: one client at a time. While
 * client A is connected, even idle, the server's only thread sleeps in A's
 * recv, so client B's bytes wait in the kernel until A leaves. The check is
 * the chapter's promise as model.ts states it, which the exercise grader
 * runs too.
 */
import { chapterNamed } from "@echo-lab/harness/chapters";
import { testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

testModel(chapterNamed("01-blocking"), model);
