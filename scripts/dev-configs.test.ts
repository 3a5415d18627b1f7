import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { devConfig, devVars } from "./dev-configs.ts";
import { parseWranglerToml, readWorkerConfig } from "./wrangler-config.ts";
import { WORKERS } from "./workers.ts";

const dir = mkdtempSync(join(tmpdir(), "dev-configs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function workerSpec(name: string) {
  const worker = WORKERS.find((candidate) => candidate.name === name);
  if (!worker) throw new Error(`no Worker ${name}`);
  return worker;
}

describe("scripts/dev-configs.ts (the settings npm run dev forwards)", () => {
  const env = {
    MEDIA_CORS_ORIGINS: "http://127.0.0.1:8863",
    API_CORS_ORIGINS: "http://127.0.0.1:3000",
    SKIP_FALLBACK: "true",
  };

  const backend = { url: "http://127.0.0.1:9000", webhookUrl: "http://127.0.0.1:9000/webhooks/media-upload" };

  it("gives each Worker only its own forwarded settings, the api its backend and media the backend's webhook", () => {
    expect(devVars("media", env, backend)).toEqual({
      MEDIA_CORS_ORIGINS: "http://127.0.0.1:8863",
      MEDIA_UPLOAD_WEBHOOK_URL: "http://127.0.0.1:9000/webhooks/media-upload",
    });
    expect(devVars("api", env, backend)).toEqual({
      API_CORS_ORIGINS: "http://127.0.0.1:3000",
      BACKEND_URL: "http://127.0.0.1:9000",
    });
    expect(devVars("router", env, backend)).toEqual({});
    expect(devVars("media", {}, backend)).toEqual({
      MEDIA_UPLOAD_WEBHOOK_URL: "http://127.0.0.1:9000/webhooks/media-upload",
    });
  });

  it("runs the media Worker from a copy of its config with MEDIA_CORS_ORIGINS set and everything else as committed", () => {
    const media = workerSpec("media");
    const derived = devConfig(media, { MEDIA_CORS_ORIGINS: "http://127.0.0.1:8863" }, dir);
    expect(derived).toBe(`${dir}/wrangler.media.toml`);
    const committed = readWorkerConfig(media);
    const copy = parseWranglerToml(readFileSync(derived, "utf8")) as ReturnType<typeof parseWranglerToml> & {
      main: string;
    };
    expect(copy.vars).toEqual({ ...committed.vars, MEDIA_CORS_ORIGINS: "http://127.0.0.1:8863" });
    expect(copy.main).toBe(resolve("workers/media/index.ts"));
    expect({ ...copy, vars: undefined, main: undefined }).toEqual({ ...committed, vars: undefined, main: undefined });
  });

  it("keeps a Worker on its own config when the settings change nothing", () => {
    expect(devConfig(workerSpec("media"), {}, dir)).toBe("wrangler.media.toml");
    expect(devConfig(workerSpec("api"), { BACKEND_URL: "http://127.0.0.1:8788" }, dir)).toBe("wrangler.api.toml");
  });

  it("refuses a setting the config does not declare", () => {
    expect(() => devConfig(workerSpec("media"), { API_CORS_ORIGINS: "http://x.example" }, dir)).toThrow(
      "dev: wrangler.media.toml declares no [vars] API_CORS_ORIGINS",
    );
  });
});
