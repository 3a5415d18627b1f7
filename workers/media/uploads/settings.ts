/** The upload settings of a deployment, from the media Worker's vars (parsed once per Env), with safe defaults. */
import { numberSetting, parsedPerEnv } from "../../../shared/per-env";
import { LARGEST_PLANNABLE_UPLOAD_BYTES } from "./parts";

export interface UploadSettings {
  /** Tus-Max-Size: the largest upload, and the largest `max` a token may carry. */
  maxSize: number;
  /** How long an upload may take, from its creation (Upload-Expires), in seconds. */
  expirySeconds: number;
  /** Where `upload.completed` is POSTed; undefined: nowhere. */
  webhookUrl: URL | undefined;
  /** MEDIA_UPLOAD_WEBHOOK_SECRET as given (`whsec_<base64>`), or undefined. */
  webhookSecret: string | undefined;
}

const GIB = 1024 ** 3;
/** Default Tus-Max-Size: 5 GiB, R2's largest single `put`, a feature film at a high bit rate. */
export const DEFAULT_UPLOAD_MAX_SIZE = 5 * GIB;
/** Default time to finish an upload. */
export const DEFAULT_UPLOAD_EXPIRY_SECONDS = 24 * 60 * 60;
/** R2 aborts a multipart upload left unfinished for 7 days: an upload expires a day before that. */
export const MAX_UPLOAD_EXPIRY_SECONDS = 6 * 24 * 60 * 60;

/** MEDIA_UPLOAD_MAX_SIZE: whole bytes from 1 to the largest upload the part rule allows; anything else means 5 GiB. */
function maxSize(setting: string | undefined): number {
  const value = numberSetting(setting);
  return value !== undefined && Number.isSafeInteger(value) && value >= 1 && value <= LARGEST_PLANNABLE_UPLOAD_BYTES
    ? value
    : DEFAULT_UPLOAD_MAX_SIZE;
}

/** MEDIA_UPLOAD_EXPIRY_SECONDS: whole seconds from 60 to 6 days; anything else means a day. */
function expirySeconds(setting: string | undefined): number {
  const value = numberSetting(setting);
  return value !== undefined && Number.isSafeInteger(value) && value >= 60 && value <= MAX_UPLOAD_EXPIRY_SECONDS
    ? value
    : DEFAULT_UPLOAD_EXPIRY_SECONDS;
}

/** MEDIA_UPLOAD_WEBHOOK_URL: an http(s) URL, or none (empty or unreadable). */
function webhookUrl(setting: string | undefined): URL | undefined {
  const url = URL.parse(setting?.trim() ?? "");
  return url !== null && (url.protocol === "https:" || url.protocol === "http:") ? url : undefined;
}

export const uploadSettings: (env: MediaEnv) => UploadSettings = parsedPerEnv((env: MediaEnv): UploadSettings => ({
  maxSize: maxSize(env.MEDIA_UPLOAD_MAX_SIZE),
  expirySeconds: expirySeconds(env.MEDIA_UPLOAD_EXPIRY_SECONDS),
  webhookUrl: webhookUrl(env.MEDIA_UPLOAD_WEBHOOK_URL),
  webhookSecret: env.MEDIA_UPLOAD_WEBHOOK_SECRET === "" ? undefined : env.MEDIA_UPLOAD_WEBHOOK_SECRET,
}));
