// A real tail Worker: every invocation of the Workers that name it in
// `tails` (router, media, api) arrives here as one trace item, so a test
// counts Worker invocations per request from the runtime's own record.
import { WorkerEntrypoint } from "cloudflare:workers";

/** "<script>:<event>" per invocation since the last reset. */
const invocations = [];

export default class InvocationTally extends WorkerEntrypoint {
  async tail(items) {
    for (const item of items) {
      const event = item.event ?? {};
      const kind = "rpcMethod" in event ? `rpc ${event.rpcMethod}` : "request" in event ? "fetch" : "other";
      invocations.push(`${item.scriptName ?? item.entrypoint ?? "worker"}:${kind}`);
    }
  }
  /** The invocations counted since the last read, as JSON (each read starts a new count). */
  async fetch() {
    return Response.json(invocations.splice(0));
  }
}
