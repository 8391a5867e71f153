import { listen } from "../shared/service.ts";
import { worldSectionFromFile } from "../../src/contracts/world.ts";
import { createSessionsApp } from "./app.ts";

const { app } = createSessionsApp({ world: await worldSectionFromFile("sessions") });
await listen(app, "sessions", Number(process.env.PORT ?? 0));
