/**
 * Each Worker's own V8 heap, read through workerd's inspector (Miniflare's
 * `inspectorPort`): one DevTools target per Worker, `core:user:<name>`. A
 * reading forces a full collection first (`HeapProfiler.collectGarbage`), so
 * it is the live heap, not whatever V8 has not bothered to collect yet.
 */
import { writeFile } from "node:fs/promises";
import WebSocket from "ws";

export interface HeapReading {
  usedBytes: number;
  totalBytes: number;
  /** Memory outside the V8 heap that the isolate's objects hold (ArrayBuffer backing stores, workerd's own objects). */
  externalBytes: number;
  /** False when the forced collection did not finish in time (an isolate no request entered): the reading then includes garbage. */
  collected: boolean;
}

/** How long a reading waits for its forced collection. */
const COLLECTION_TIMEOUT_MS = 5_000;

interface InspectorTarget {
  id: string;
  webSocketDebuggerUrl?: string;
}

interface InspectorReply {
  id?: number;
  method?: string;
  params?: { chunk?: string };
  result?: {
    usedSize?: number;
    totalSize?: number;
    embedderHeapUsedSize?: number;
    backingStorageSize?: number;
    profile?: unknown;
  };
  error?: { message: string };
}

/** One open DevTools session to one Worker's isolate. */
export class IsolateSession {
  readonly #socket: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (reply: InspectorReply) => void; reject: (error: Error) => void }>();
  #onChunk: ((chunk: string) => void) | undefined;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data: Buffer) => {
      const reply = JSON.parse(data.toString("utf8")) as InspectorReply;
      if (reply.method === "HeapProfiler.addHeapSnapshotChunk" && reply.params?.chunk !== undefined)
        this.#onChunk?.(reply.params.chunk);
      if (reply.id === undefined) return;
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.error) waiter?.reject(new Error(reply.error.message));
      else waiter?.resolve(reply);
    });
    socket.on("close", () => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error("inspector session closed"));
      this.#pending.clear();
    });
  }

  static async open(url: string): Promise<IsolateSession> {
    const socket = new WebSocket(url, { maxPayload: 1024 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new IsolateSession(socket);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<InspectorReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * The heap after a full collection. workerd runs the collection as a task
   * of its platform, which only runs when some request enters workerd, so an
   * idle process needs `nudge` (any cheap request) until the collection is done.
   */
  async heap(nudge?: () => Promise<void>): Promise<HeapReading> {
    let collected = false;
    const collection = this.call("HeapProfiler.collectGarbage").then(
      () => (collected = true),
      () => false,
    );
    const deadline = Date.now() + COLLECTION_TIMEOUT_MS;
    while (!collected && Date.now() < deadline) {
      if (nudge) await nudge();
      await Promise.race([collection, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    const { result } = await this.call("Runtime.getHeapUsage");
    return {
      usedBytes: result?.usedSize ?? 0,
      totalBytes: result?.totalSize ?? 0,
      externalBytes: (result?.embedderHeapUsedSize ?? 0) + (result?.backingStorageSize ?? 0),
      collected,
    };
  }

  /** Writes a .heapsnapshot (loadable in Chrome DevTools' Memory tab) and returns its size in bytes. */
  async snapshot(path: string): Promise<number> {
    const chunks: string[] = [];
    this.#onChunk = (chunk) => chunks.push(chunk);
    await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    this.#onChunk = undefined;
    const text = chunks.join("");
    await writeFile(path, text);
    return text.length;
  }

  close(): void {
    this.#socket.close();
  }
}

/** The inspector target of a Worker of ours; Miniflare's own Workers (simulators) go by their service names (`r2:bucket`, `cache:cache`). */
export function workerTarget(workerName: string): string {
  return `core:user:${workerName}`;
}

/** Sessions to the given inspector targets (ids from workerd's /json/list), keyed by target id. */
export async function openIsolates(
  inspectorPort: number,
  targetIds: readonly string[],
): Promise<Map<string, IsolateSession>> {
  const response = await fetch(`http://127.0.0.1:${inspectorPort}/json/list`);
  const targets = (await response.json()) as InspectorTarget[];
  const sessions = new Map<string, IsolateSession>();
  for (const id of targetIds) {
    const target = targets.find((candidate) => candidate.id === id);
    if (!target) throw new Error(`no inspector target ${id} (targets: ${targets.map((t) => t.id).join(", ")})`);
    sessions.set(
      id,
      await IsolateSession.open(target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspectorPort}/${target.id}`),
    );
  }
  return sessions;
}

/** Every session's heap, read one isolate after the other. */
export async function readHeaps(
  sessions: Map<string, IsolateSession>,
  nudge?: () => Promise<void>,
): Promise<Map<string, HeapReading>> {
  const readings = new Map<string, HeapReading>();
  for (const [name, session] of sessions) readings.set(name, await session.heap(nudge));
  return readings;
}

/** One best-effort request (its answer read to the end); a failed nudge only means another is sent. */
export async function nudgeOnce(url: string, init?: RequestInit): Promise<void> {
  try {
    await (await fetch(url, init)).arrayBuffer();
  } catch {
    // The next nudge follows within 50 ms.
  }
}

export function mib(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 100) / 100;
}
