/**
 * Serves the trace viewer alone over an existing store, for working on its pages. The restricted
 * tier is `restricted.db` beside the trace store, as the tests keep it:
 *   TRACE_STORE=/tmp/viewer/traces.db RESTRICTED_STORE=/tmp/viewer/restricted.db npm run --silent cli -- replay --all
 *   TRACE_STORE=/tmp/viewer/traces.db PORT=3999 npx tsx test/viewer/dev.ts
 */
import { openTraceStore } from "../../src/store/trace-store.ts";
import { serveViewer } from "./fixture.ts";

const store = await openTraceStore(process.env.TRACE_STORE ?? ".data/traces.db");
const { url } = await serveViewer(store, {}, Number(process.env.PORT ?? 3999));
console.log(`trace viewer on ${url}`);
