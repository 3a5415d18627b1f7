/**
 * Origin allow-lists from settings (MEDIA_CORS_ORIGINS, API_CORS_ORIGINS):
 * comma-separated, blanks ignored; empty means same-origin only.
 */
export function parseOriginList(setting: string): string[] {
  return setting
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
}
