/** The gateway's Workers by their short names: in log lines, health documents and the scripts. */
export const WORKER_NAMES = ["router", "media", "api"] as const;
export type WorkerName = (typeof WORKER_NAMES)[number];
