/**
 * Token verification cost inside workerd: `GET /?mode=cached|import&n=N`
 * verifies the token in `Authorization: Bearer <jwt>` N times with jose's
 * `jwtVerify`, either with one HMAC CryptoKey imported once per isolate (as
 * the media Worker does) or importing the key on every verification. Timers do
 * not advance during CPU work in workerd, so the client times the requests.
 */
import { jwtVerify } from "jose";

interface VerifyEnv {
  MEDIA_TOKEN_SECRET_V1: string;
}

const HMAC = { name: "HMAC", hash: "SHA-256" } as const;
const encoder = new TextEncoder();
let cachedKey: Promise<CryptoKey> | undefined;

function importVerifyKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), HMAC, false, ["verify"]);
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode");
    const count = Number(url.searchParams.get("n") ?? "1");
    const token = request.headers.get("Authorization")?.replace(/^Bearer /, "") ?? "";
    if ((mode !== "cached" && mode !== "import") || !Number.isInteger(count) || count < 1) {
      return new Response("mode=cached|import&n=<count>", { status: 400 });
    }
    for (let i = 0; i < count; i++) {
      const key =
        mode === "cached"
          ? await (cachedKey ??= importVerifyKey(env.MEDIA_TOKEN_SECRET_V1))
          : await importVerifyKey(env.MEDIA_TOKEN_SECRET_V1);
      await jwtVerify(token, key, { algorithms: ["HS256"] });
    }
    return new Response(String(count));
  },
} satisfies ExportedHandler<VerifyEnv>;
