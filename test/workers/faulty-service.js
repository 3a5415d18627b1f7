// A real Worker that fails on purpose, bound to the router's test project so
// health degradation and service failures go through real RPC and fetch.
import { WorkerEntrypoint } from "cloudflare:workers";

/** Every call throws, as a Worker with a bug would. */
export default class Failing extends WorkerEntrypoint {
  async fetch() {
    throw new Error("faulty-service: fetch failed on purpose");
  }
  async health() {
    throw new Error("faulty-service: health failed on purpose");
  }
  async sign() {
    throw new Error("faulty-service: sign failed on purpose");
  }
}

/**
 * Answers only after 10 s, as a Worker stuck on a slow dependency would. (A
 * promise that never settles is not the same: workerd sees the hang and
 * cancels the call, which the caller sees as an error.)
 */
export class Slow extends WorkerEntrypoint {
  async health() {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    return { worker: "api", status: "ok", version: { id: "late", tag: "", timestamp: "" } };
  }
}

/** A media Worker that loads no signing secret: sign() refuses, as a value, with no-signing-key. */
export class NoSigningKey extends WorkerEntrypoint {
  async sign() {
    return { ok: false, reason: "no-signing-key", message: "sign(): no media token secret is loaded" };
  }
}
