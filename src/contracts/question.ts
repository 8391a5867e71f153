import { z } from "zod";

/** An analyst's question, as the API takes it; scenario and ticket files are held to the same. */
export const questionSchema = z.string().trim().min(1, { error: "question must not be empty" }).max(4_000);

/** Who asks: a handle, not a name (the trace pseudonymizes it anyway). */
export const analystSchema = z
  .string()
  .regex(/^[\w.@-]{1,64}$/, { error: "expected an analyst handle such as analyst-7" });
