/**
 * The floor for ADMIN_TOKEN, shared by the tooling that stores it
 * (`secrets:put`) and the deploy check that vets the committed throwaway
 * values (`check:deploy`): it unlocks `POST /_sign`, which mints media URLs,
 * so it must resist guessing as the media signing secrets do.
 */
export const MIN_ADMIN_TOKEN_BYTES = 32;

const encoder = new TextEncoder();

/** Why an ADMIN_TOKEN value is refused, or undefined when it is long enough (UTF-8 bytes, as stored). */
export function adminTokenProblem(value: string): string | undefined {
  const bytes = encoder.encode(value).byteLength;
  if (bytes >= MIN_ADMIN_TOKEN_BYTES) return undefined;
  return `ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_BYTES} bytes (this one has ${bytes}): it unlocks /_sign and /_status`;
}
