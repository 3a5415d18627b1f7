/**
 * The media token contract's secrets and kids: which `MEDIA_TOKEN_SECRET_V<N>`
 * load (32 bytes at least), the kid each signs for, and the one active-kid
 * rule. Read by the media Worker's registry, the local backend,
 * `npm run mint`, the secrets script and the deploy checks.
 */

/** A secret shorter than this is not loaded: HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;
/** The setting that names the kid new tokens are signed with. */
export const ACTIVE_KID_SETTING = "MEDIA_TOKEN_ACTIVE_KID";
const SECRET_NAME = /^MEDIA_TOKEN_SECRET_V([1-9][0-9]{0,5})$/;
const KID = /^v([1-9][0-9]{0,5})$/;

/** True for a kid of the form `v<N>` (N from 1, no leading zero). */
export function isKid(value: string): boolean {
  return KID.test(value);
}

/** The kid a secret name signs for (`MEDIA_TOKEN_SECRET_V2` → `v2`), or undefined when the name is not one. */
export function kidOfSecretName(name: string): string | undefined {
  const version = SECRET_NAME.exec(name)?.[1];
  return version === undefined ? undefined : `v${version}`;
}

/** The secret name of a kid (`v2` → `MEDIA_TOKEN_SECRET_V2`), or undefined when it is not a kid. */
export function secretNameOfKid(kid: string): string | undefined {
  const version = KID.exec(kid)?.[1];
  return version === undefined ? undefined : `MEDIA_TOKEN_SECRET_V${version}`;
}

const encoder = new TextEncoder();

/** Why a secret's value is not loaded, or undefined when it is. */
export function secretProblem(value: string): "too-short" | undefined {
  return encoder.encode(value).byteLength < MIN_SECRET_BYTES ? "too-short" : undefined;
}

interface LoadedSecret {
  kid: string;
  /** The N of `v<N>`, for ordering. */
  version: number;
  /** The value as stored. */
  secret: string;
}

interface SigningSecrets {
  /** Every loadable secret, lowest kid first. */
  loaded: LoadedSecret[];
  /** Secrets present but not loaded, with why (never the value). */
  refused: { kid: string; reason: "too-short" }[];
  /** The kid new tokens are signed with; undefined when nothing is loaded. */
  activeKid: string | undefined;
  /** Set when MEDIA_TOKEN_ACTIVE_KID names a kid that is not loaded (the highest one signs instead). */
  activeKidProblem?: "active-kid-not-loaded";
}

/**
 * The one active-kid rule: MEDIA_TOKEN_ACTIVE_KID when it names a loaded kid,
 * else the highest N loaded (so a rotation that adds V3 before the setting
 * changes keeps signing).
 */
export function chooseActiveKid(
  loadedKids: readonly string[],
  setting: string | undefined,
): Pick<SigningSecrets, "activeKid" | "activeKidProblem"> {
  const wanted = setting?.trim() ?? "";
  const highest = [...loadedKids].sort((a, b) => kidVersion(a) - kidVersion(b)).at(-1);
  if (wanted === "") return { activeKid: highest };
  if (loadedKids.includes(wanted)) return { activeKid: wanted };
  return { activeKid: highest, activeKidProblem: "active-kid-not-loaded" };
}

function kidVersion(kid: string): number {
  return Number(KID.exec(kid)?.[1] ?? 0);
}

/** Every `MEDIA_TOKEN_SECRET_V<N>` in `vars` that is long enough, and the active kid among them. */
export function readSigningSecrets(vars: Readonly<Record<string, unknown>>): SigningSecrets {
  const loaded: LoadedSecret[] = [];
  const refused: SigningSecrets["refused"] = [];
  for (const [name, value] of Object.entries(vars)) {
    const kid = kidOfSecretName(name);
    if (kid === undefined || typeof value !== "string") continue;
    const problem = secretProblem(value);
    if (problem !== undefined) refused.push({ kid, reason: problem });
    else loaded.push({ kid, version: kidVersion(kid), secret: value });
  }
  loaded.sort((a, b) => a.version - b.version);
  const setting = vars[ACTIVE_KID_SETTING];
  return {
    loaded,
    refused,
    ...chooseActiveKid(
      loaded.map((entry) => entry.kid),
      typeof setting === "string" ? setting : undefined,
    ),
  };
}
