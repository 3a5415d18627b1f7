/**
 * The backend side of `npm run dev`: start the local backend, or use the one
 * BACKEND_URL names (scripts/dev-configs.ts points the api Worker at it, and
 * the media Worker's upload webhook: MEDIA_UPLOAD_WEBHOOK_URL, by default
 * `<backend>/webhooks/media-upload`; both sides sign and verify with
 * MEDIA_UPLOAD_WEBHOOK_SECRET from .dev.vars).
 */
import type { RunningBackend } from "../backend/server.ts";
import { DEFAULT_BACKEND_PORT, startBackend } from "../backend/server.ts";
import { UPLOAD_WEBHOOK_PATH } from "../backend/uploads.ts";

export interface DevBackend {
  url: string;
  /** The local backend, when this process started one. */
  local?: RunningBackend;
  /** Where the media Worker posts `upload.completed`. */
  webhookUrl: string;
}

/** Starts the local backend unless BACKEND_URL is set, and returns its URL and its webhook receiver's. */
export async function devBackend(env: NodeJS.ProcessEnv = process.env): Promise<DevBackend> {
  const port = Number(env.BACKEND_PORT ?? DEFAULT_BACKEND_PORT);
  const local = env.BACKEND_URL
    ? undefined
    : await startBackend({ port }).catch((error: unknown) => {
        const inUse = error instanceof Error && "code" in error && error.code === "EADDRINUSE";
        throw inUse
          ? new Error(
              `dev: port ${port} is taken; set BACKEND_PORT=<free port>, or BACKEND_URL to use a backend that is already running`,
            )
          : error;
      });
  const url = env.BACKEND_URL ?? local?.url ?? "";
  const webhookUrl = env.MEDIA_UPLOAD_WEBHOOK_URL ?? `${url.replace(/\/+$/, "")}${UPLOAD_WEBHOOK_PATH}`;
  return { url, local, webhookUrl };
}
