import { listen } from "../shared/service.ts";
import { worldSectionFromFile } from "../../src/contracts/world.ts";
import { createMdmApp } from "./app.ts";

const { app } = createMdmApp({ world: await worldSectionFromFile("mdm") });
await listen(app, "mdm", Number(process.env.PORT ?? 0));
