/**
 * `npm run mint -- <key | prefix/> [--bkt media] [--kid v1] [--ttl 300] [--dl name] [--ip address]`:
 * prints a local URL signed with a secret from .dev.vars, the way the backend
 * mints tokens (shared/mint-input.ts, shared/token-sign.ts). A key ending in `/` is a prefix: the
 * URL ends in `/` and every object under the prefix is fetched relative to it
 * (`<url>master.m3u8`).
 *
 * `npm run mint -- --upload <key> --max <bytes> --ct <type> [--replace] [--jti id]`:
 * an upload token (contract v1.2), printed as one JSON line
 * `{"endpoint":"http://127.0.0.1:8787/media/uploads","token":"…","jti":"…"}`.
 */
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import type { MintInput } from "../shared/mint-input.ts";
import { readMintInput } from "../shared/mint-input.ts";
import { ACTIVE_KID_SETTING, readSigningSecrets } from "../shared/token-secrets.ts";
import { mintToken } from "../shared/token-sign.ts";
import { readDevVars } from "./dev-vars.ts";

const USAGE =
  "usage: npm run mint -- <key | prefix/> [--bkt media|assets] [--kid v<N>] [--ttl seconds] [--dl file-name] [--ip address-or-cidr]\n" +
  "       npm run mint -- --upload <key> --max <bytes> --ct <type/subtype> [--bkt media|assets] [--kid v<N>] [--ttl seconds] [--jti id] [--replace]";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bkt: { type: "string" },
    kid: { type: "string" },
    ttl: { type: "string" },
    dl: { type: "string" },
    ip: { type: "string" },
    upload: { type: "boolean" },
    max: { type: "string" },
    ct: { type: "string" },
    jti: { type: "string" },
    replace: { type: "boolean" },
  },
});
const name = positionals[0];
if (name === undefined || positionals.length > 1) {
  console.error(USAGE);
  process.exit(2);
}
const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
const asked: MintInput = values.upload
  ? {
      put: name,
      bkt: values.bkt,
      max: Number(values.max),
      ct: values.ct ?? "",
      jti: values.jti,
      ttl,
      replace: values.replace,
    }
  : { ...(name.endsWith("/") ? { pfx: name } : { key: name }), ttl, bkt: values.bkt, dl: values.dl, ip: values.ip };
const input = readMintInput(asked);
if ("problem" in input) {
  console.error(`mint: ${input.message}\n${USAGE}`);
  process.exit(2);
}

// wrangler dev hands the media Worker only the secrets its config lists under
// [secrets] required, and its vars overlaid by .dev.vars: the same view here.
const devVars = readDevVars();
const config = unstable_readConfig({ config: "wrangler.media.toml" }) as {
  secrets?: { required?: string[] };
  vars?: Record<string, unknown>;
};
const workerView: Record<string, unknown> = {
  [ACTIVE_KID_SETTING]: devVars[ACTIVE_KID_SETTING] ?? config.vars?.[ACTIVE_KID_SETTING],
};
for (const secretName of config.secrets?.required ?? []) workerView[secretName] = devVars[secretName];
const secrets = readSigningSecrets(workerView);
const loadedKids = secrets.loaded.map((entry) => entry.kid);
// Without --kid: the kid the local Worker's sign() would use.
const kid = values.kid ?? secrets.activeKid;
const signer = secrets.loaded.find((entry) => entry.kid === kid);
if (signer === undefined) {
  console.error(
    `mint: the local media Worker does not load kid ${kid ?? "(none)"}; it loads [${loadedKids.join(", ")}].\n` +
      "A kid needs MEDIA_TOKEN_SECRET_V<N> (at least 32 bytes) in .dev.vars and in [secrets] required of wrangler.media.toml.\n" +
      USAGE,
  );
  process.exit(2);
}

const base = `http://127.0.0.1:${process.env.PORT ?? "8787"}`;
const minted = await mintToken(input, signer);
console.log(
  minted.jti === undefined
    ? `${base}${minted.path}`
    : JSON.stringify({ endpoint: `${base}${minted.path}`, token: minted.token, jti: minted.jti }),
);
