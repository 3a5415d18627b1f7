/**
 * The control path between the Workers, as a contract: the RPC methods each
 * Worker's `Control` entrypoint answers and their result types. The router
 * calls through these interfaces only; the Workers implement them. Additive
 * only: RPC calls cannot be pinned to a version during a gradual rollout
 * (docs/operations.md).
 */
import type { VersionInfo, WorkerHealth } from "./health.ts";
import type { MintInput } from "./mint-input.ts";

/** What every Worker answers over RPC. */
export interface WorkerControl {
  /** Liveness and deployed version, for the router's /_health. */
  health(): Promise<WorkerHealth>;
}

/**
 * `sign()` answers with a value, never by throwing: a refusal crosses the RPC
 * boundary as data, so the caller needs no knowledge of error classes.
 */
export type SignResult =
  | { ok: true; path: string }
  /** An upload token: POST to `path` (`/media/uploads`) with `Authorization: Bearer <token>`. */
  | { ok: true; path: string; token: string; jti: string }
  /** `bad-input`: the input breaks the token contract (the message says how, from shared/mint-input.ts); `no-signing-key`: no secret is loaded. */
  | { ok: false; reason: "bad-input" | "no-signing-key"; message: string };

/** What the media Worker has loaded: fingerprints, never values. */
export interface MediaStatus<B extends string = string> {
  worker: "media";
  version: VersionInfo;
  activeKid: string | null;
  kids: { kid: string; fingerprint: string }[];
  /** Secrets present but refused (too short), by kid. */
  refusedKids: string[];
  /** The registry line in the backend's format. */
  registry: string;
  /** Bound buckets by `bkt` name. */
  buckets: Record<B, { main: boolean; fallback: boolean }>;
}

/** The media Worker's control path. */
export interface MediaControl<B extends string = string> extends WorkerControl {
  /**
   * A media path signed with the active kid (`/media/v1/<jwt>`, or `/media/v1/<jwt>/` for a prefix), or, with `put`, an
   * upload token (contract v1.2). The input is read again by the media Worker: a caller's checks are not trusted.
   */
  sign(input: MintInput): Promise<SignResult>;
  /** Loaded kids with fingerprints, the active kid, the bound buckets. */
  status(): Promise<MediaStatus<B>>;
}
