/**
 * `npm run mint -- <key | prefix/> [--bkt media] [--kid v1] [--ttl 300] [--dl name] [--ip address]`:
 * prints a local URL signed with a secret from .dev.vars, the way the backend
 * mints tokens (shared/media-token.ts). A key ending in `/` is a prefix: the
 * URL ends in `/` and every object under the prefix is fetched relative to it
 * (`<url>master.m3u8`).
 *
 * `npm run mint -- --upload <key> --max <bytes> --ct <type> [--replace] [--jti id]`:
 * an upload token (contract v1.2), printed as one JSON line
 * `{"endpoint":"http://127.0.0.1:8787/media/uploads","token":"…","jti":"…"}`.
 */
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import type { MintInput, UploadMintInput } from "../shared/media-token.ts";
import {
  ACTIVE_KID_SETTING,
  DEFAULT_TOKEN_TTL_SECONDS,
  MEDIA_UPLOADS_PATH,
  mintedPath,
  mintProblem,
  newUploadJti,
  readSigningSecrets,
  signMediaToken,
  signUploadToken,
  uploadMintProblem,
} from "../shared/media-token.ts";
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
const ttl = values.ttl === undefined ? DEFAULT_TOKEN_TTL_SECONDS : Number(values.ttl);
const upload: UploadMintInput | undefined = values.upload
  ? {
      put: name,
      bkt: values.bkt,
      max: Number(values.max),
      ct: values.ct ?? "",
      jti: values.jti ?? newUploadJti(),
      ttl,
      ...(values.replace === true ? { replace: true } : {}),
    }
  : undefined;
const input: MintInput = {
  ...(name.endsWith("/") ? { pfx: name } : { key: name }),
  ttl,
  bkt: values.bkt,
  dl: values.dl,
  ip: values.ip,
};
const problem = upload === undefined ? mintProblem(input) : uploadMintProblem(upload);
if (problem !== undefined) {
  console.error(`mint: ${problem}\n${USAGE}`);
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
if (upload !== undefined) {
  const jti = upload.jti ?? newUploadJti();
  const token = await signUploadToken({ ...upload, jti, ttlSeconds: ttl, kid: signer.kid, secret: signer.secret });
  console.log(JSON.stringify({ endpoint: `${base}${MEDIA_UPLOADS_PATH}`, token, jti }));
} else {
  const token = await signMediaToken({ ...input, ttlSeconds: ttl, kid: signer.kid, secret: signer.secret });
  console.log(`${base}${mintedPath(token, input)}`);
}
