/**
 * The control-path contract every Worker answers over RPC: `health()`.
 * The router's `/_health` gathers these into one document.
 */
import type { WorkerName } from "./worker-names";

export interface VersionInfo {
  id: string;
  tag: string;
  timestamp: string;
}

export interface WorkerHealth {
  worker: WorkerName;
  status: "ok";
  version: VersionInfo;
}

/** The Worker's deployed version, from its version metadata binding. */
export function versionInfo(metadata: WorkerVersionMetadata): VersionInfo {
  return { id: metadata.id, tag: metadata.tag, timestamp: metadata.timestamp };
}

export function healthOf(worker: WorkerName, metadata: WorkerVersionMetadata): WorkerHealth {
  return { worker, status: "ok", version: versionInfo(metadata) };
}
