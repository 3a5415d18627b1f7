/**
 * Seeds local R2 (the state `npm run dev` uses) with the sample media in
 * samples/. Idempotent: an object whose MD5 (R2's ETag for a single-part put)
 * and type already match is left alone. Runs before `wrangler dev` starts,
 * never beside it: two local runtimes must not write one state directory.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { getPlatformProxy, unstable_readConfig } from "wrangler";

/** wrangler dev --persist-to .wrangler/state keeps its data in the v3 folder below it. */
export const LOCAL_PERSIST_PATH = ".wrangler/state/v3";

type BucketBinding = "MEDIA_BUCKET" | "MEDIA_FALLBACK_BUCKET" | "ASSETS_BUCKET";

export interface SampleObject {
  binding: BucketBinding;
  key: string;
  file: string;
  contentType: string;
}

/** The HLS ladder's folder in the repository; it is seeded under the same key prefix. */
export const HLS_LADDER_DIR = "samples/hls/";

/** Types the ladder's files are uploaded with, as a packager's upload would set them. */
const HLS_LADDER_TYPES: Readonly<Record<string, string>> = {
  m3u8: "application/vnd.apple.mpegurl",
  mp4: "video/mp4",
  m4s: "video/iso.segment",
  vtt: "text/vtt",
};

/** Every file of the committed HLS ladder (samples/hls/), keyed by its path in the repository. */
export function hlsLadderObjects(): SampleObject[] {
  const files = readdirSync(HLS_LADDER_DIR, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return files
    .map((entry) => {
      const file = `${entry.parentPath.replace(/\/+$/, "")}/${entry.name}`;
      const extension = entry.name.split(".").at(-1) ?? "";
      const contentType = HLS_LADDER_TYPES[extension];
      if (contentType === undefined)
        throw new Error(`${file}: no upload type for .${extension} files in ${HLS_LADDER_DIR}`);
      return { binding: "MEDIA_BUCKET" as const, key: file, file, contentType };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** What each sample shows is in samples/README.md. */
export const SAMPLE_OBJECTS: readonly SampleObject[] = [
  {
    binding: "MEDIA_BUCKET",
    key: "samples/testsrc-640x360.mp4",
    file: "samples/testsrc-640x360.mp4",
    contentType: "video/mp4",
  },
  { binding: "MEDIA_BUCKET", key: "samples/thumbs/sprite.jpg", file: "samples/sprite.jpg", contentType: "image/jpeg" },
  {
    binding: "MEDIA_BUCKET",
    key: "samples/stored-as-html.html",
    file: "samples/stored-as-html.html",
    contentType: "text/html; charset=utf-8",
  },
  {
    binding: "MEDIA_FALLBACK_BUCKET",
    key: "archive/testsrc-640x360.mp4",
    file: "samples/testsrc-640x360.mp4",
    contentType: "video/mp4",
  },
  { binding: "ASSETS_BUCKET", key: "logo/sprite.jpg", file: "samples/sprite.jpg", contentType: "image/jpeg" },
  ...hlsLadderObjects(),
];

/** The slice of the R2 binding used here (the Workers types are not in the Node program). */
interface LocalBucket {
  head(key: string): Promise<{ etag: string; httpMetadata?: { contentType?: string } } | null>;
  put(key: string, value: Uint8Array, options: { httpMetadata: { contentType: string } }): Promise<unknown>;
}

/** The fields of wrangler's config read here (its own Config type is not resolvable from here). */
interface BucketsConfig {
  name: string;
  compatibility_date: string;
  r2_buckets: unknown[];
}

/**
 * The media Worker's config with its R2 buckets alone, for getPlatformProxy:
 * with the whole config it warns that the upload Durable Object cannot run
 * locally (it does, inside `wrangler dev`), a false alarm in `npm run dev`'s output.
 */
function bucketsOnlyConfig(): string {
  const { name, compatibility_date, r2_buckets } = unstable_readConfig({
    config: "wrangler.media.toml",
  }) as BucketsConfig;
  const path = ".wrangler/seed/wrangler.json";
  mkdirSync(".wrangler/seed", { recursive: true });
  writeFileSync(path, JSON.stringify({ name, compatibility_date, r2_buckets }));
  return path;
}

/** Puts every sample object that is missing or different into local R2; returns how many it wrote. */
export async function seedLocalMedia(): Promise<number> {
  const proxy = await getPlatformProxy<Record<BucketBinding, LocalBucket>>({
    configPath: bucketsOnlyConfig(),
    persist: { path: LOCAL_PERSIST_PATH },
  });
  try {
    let written = 0;
    for (const sample of SAMPLE_OBJECTS) {
      const bytes = new Uint8Array(await readFile(sample.file));
      const md5 = createHash("md5").update(bytes).digest("hex");
      const bucket = proxy.env[sample.binding];
      const existing = await bucket.head(sample.key);
      if (existing?.etag === md5 && existing.httpMetadata?.contentType === sample.contentType) continue;
      await bucket.put(sample.key, bytes, { httpMetadata: { contentType: sample.contentType } });
      written += 1;
    }
    return written;
  } finally {
    await proxy.dispose();
  }
}

if (import.meta.main) {
  const written = await seedLocalMedia();
  console.log(
    `seed: ${written} of ${SAMPLE_OBJECTS.length} sample objects written to local R2 (${LOCAL_PERSIST_PATH})`,
  );
}
