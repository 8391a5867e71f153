import { readFile } from "node:fs/promises";
import { listen } from "../shared/service.ts";
import { createSessionsApp } from "./app.ts";

// WORLD_FILE holds the full world `{mdm, sessions, runbooks}`; this service takes its own section.
const worldFile = process.env.WORLD_FILE;
const world = worldFile
  ? (JSON.parse(await readFile(worldFile, "utf8")) as { sessions?: unknown }).sessions
  : undefined;

const { app } = createSessionsApp({ world });
await listen(app, "sessions", Number(process.env.PORT ?? 0));
