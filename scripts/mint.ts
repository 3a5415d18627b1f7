/**
 * `npm run mint -- <key> [--bkt media] [--kid v1] [--ttl 300]`: prints a
 * local URL for one object, signed with a secret from .dev.vars, the way the
 * backend mints tokens (shared/media-token.ts).
 */
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { mediaPath, signMediaToken } from "../shared/media-token.ts";
import { readDevVars } from "./dev-vars.ts";

const USAGE = "usage: npm run mint -- <key> [--bkt media|assets] [--kid v<N>] [--ttl seconds]";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { bkt: { type: "string" }, kid: { type: "string" }, ttl: { type: "string", default: "300" } },
});
const key = positionals[0];
const ttlSeconds = Number(values.ttl);
if (key === undefined || positionals.length > 1 || !Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
  console.error(USAGE);
  process.exit(2);
}

const secrets = readDevVars();
// wrangler dev hands the media Worker only the secrets its config lists under
// [secrets] required, so those are the kids the local Worker knows.
const { secrets: declared } = unstable_readConfig({ config: "wrangler.media.toml" }) as { secrets?: { required?: string[] } };
const loadedKids = (declared?.required ?? [])
  .filter((name) => secrets[name] !== undefined)
  .map((name) => /^MEDIA_TOKEN_SECRET_V([1-9][0-9]*)$/.exec(name)?.[1])
  .filter((version): version is string => version !== undefined)
  .map(Number)
  .sort((a, b) => a - b)
  .map((version) => `v${version}`);
// Without --kid: the highest loaded, as the Worker's active kid when MEDIA_TOKEN_ACTIVE_KID is empty.
const kid = values.kid ?? loadedKids.at(-1);
if (kid === undefined || !loadedKids.includes(kid)) {
  console.error(
    `mint: the local media Worker does not load kid ${kid ?? "(none)"}; it loads [${loadedKids.join(", ")}].\n` +
      "A kid needs MEDIA_TOKEN_SECRET_V<N> in .dev.vars and in [secrets] required of wrangler.media.toml.\n" +
      USAGE,
  );
  process.exit(2);
}
const secret = secrets[`MEDIA_TOKEN_SECRET_${kid.toUpperCase()}`] ?? "";

const token = await signMediaToken({ key, bkt: values.bkt, ttlSeconds, kid, secret });
console.log(`http://127.0.0.1:${process.env.PORT ?? "8787"}${mediaPath(token)}`);
