/**
 * `npm run fingerprint`: reads a secret from stdin and prints its fingerprint
 * exactly as the media Worker logs it in its registry line
 * (`media_token: active=v2 registry=[v1:526d65e9,v2:c33b55fc]`), so an
 * operator compares Worker, backend and local value without showing the secret.
 *
 *   printf %s "$MEDIA_TOKEN_SECRET_V2" | npm run --silent fingerprint -- --kid v2   →  v2:c33b55fc
 *   npm run --silent fingerprint < secret.txt                                       →  c33b55fc
 *
 * The byte length goes to stderr: the media Worker refuses secrets under 32 bytes.
 */
import { parseArgs } from "node:util";
import { fingerprint } from "../shared/fingerprint.ts";
import { isKid } from "../shared/token-secrets.ts";
import { runScript, UsageError } from "./commands.ts";
import { readSecret } from "./secret-input.ts";

const USAGE = "usage: npm run --silent fingerprint [-- --kid v<N>] < secret";

/** The registry entry for a secret: `v2:c33b55fc`, or the bare fingerprint without a kid. */
export async function fingerprintLine(secret: string, kid?: string): Promise<string> {
  const print = await fingerprint(secret);
  return kid === undefined ? print : `${kid}:${print}`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { kid: { type: "string" } } });
  if (values.kid !== undefined && !isKid(values.kid)) throw new UsageError(`--kid must be v<N>, not "${values.kid}"`);
  const secret = await readSecret("secret (not echoed): ");
  if (secret === "") throw new UsageError("no secret on stdin");
  console.error(
    `fingerprint: ${new TextEncoder().encode(secret).byteLength} bytes as stored (trailing whitespace trimmed, as wrangler secret put does)`,
  );
  console.log(await fingerprintLine(secret, values.kid));
}

if (import.meta.main) await runScript(USAGE, main);
