/**
 * The committed HLS ladder (samples/hls/) keeps the promises the demo page
 * and the e2e suite rely on: two H.264 Main renditions with one AAC-LC audio
 * rendition in fMP4 segments, a default WebVTT track, honest BANDWIDTH
 * figures (RFC 8216 §4.3.4.2: the peak segment bitrate), no dangling or
 * stray file, and a size that keeps the repository small.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import type { MediaPlaylist } from "../../scripts/hls-ladder.ts";
import { HLS_MASTER_PATH, readHlsLadder, readMediaPlaylist } from "../../scripts/hls-ladder.ts";
import { HLS_LADDER_DIR, SAMPLE_OBJECTS } from "../../scripts/seed-media.ts";

const MAX_LADDER_BYTES = 3_000_000;
/** The e2e token-expiry test needs a clip that outlasts a 30 s buffer past the 31 s a 1 s token is honoured. */
const MIN_DURATION_SECONDS = 75;

const ladder = readHlsLadder(HLS_LADDER_DIR);
const files = readdirSync(HLS_LADDER_DIR, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => posix.relative(HLS_LADDER_DIR, `${entry.parentPath}/${entry.name}`));
const audio = ladder.renditions.filter((rendition) => rendition.type === "AUDIO");
const subtitles = ladder.renditions.filter((rendition) => rendition.type === "SUBTITLES");

function bytes(uri: string): number {
  return statSync(posix.join(HLS_LADDER_DIR, uri)).size;
}

function bitrates(playlist: MediaPlaylist): { peak: number; average: number; duration: number } {
  let peak = 0;
  let total = 0;
  let duration = 0;
  for (const segment of playlist.segments) {
    peak = Math.max(peak, (bytes(segment.uri) * 8) / segment.duration);
    total += bytes(segment.uri);
    duration += segment.duration;
  }
  return { peak, average: (total * 8) / duration, duration };
}

function boxTypesAt(uri: string): string[] {
  const data = readFileSync(posix.join(HLS_LADDER_DIR, uri));
  const types: string[] = [];
  for (let offset = 0; offset + 8 <= data.length;) {
    const size = data.readUInt32BE(offset);
    types.push(data.toString("latin1", offset + 4, offset + 8));
    if (size < 8) break;
    offset += size;
  }
  return types;
}

describe("the HLS sample ladder (samples/hls/)", () => {
  it(`weighs at most ${MAX_LADDER_BYTES} bytes in all`, () => {
    const total = files.reduce((sum, file) => sum + bytes(file), 0);
    expect(total).toBeLessThanOrEqual(MAX_LADDER_BYTES);
  });

  it("has at least two video renditions, each H.264 Main (avc1.4d…) with AAC-LC (mp4a.40.2), in one audio group", () => {
    expect(ladder.variants.length).toBeGreaterThanOrEqual(2);
    for (const variant of ladder.variants) {
      expect(
        variant.codecs.some((codec) => /^avc1\.4d[0-9a-f]{4}$/.test(codec)),
        variant.uri,
      ).toBe(true);
      expect(variant.codecs, variant.uri).toContain("mp4a.40.2");
      expect(variant.audioGroup, variant.uri).toBeDefined();
    }
    expect(new Set(ladder.variants.map((variant) => variant.resolution)).size).toBe(ladder.variants.length);
    expect(audio.map((rendition) => rendition.groupId)).toEqual([ladder.variants[0]?.audioGroup]);
  });

  it("has a WebVTT subtitle track marked DEFAULT=YES,AUTOSELECT=YES that every variant names", () => {
    expect(subtitles).toHaveLength(1);
    const [track] = subtitles;
    expect(track?.attributes).toMatchObject({ DEFAULT: "YES", AUTOSELECT: "YES" });
    for (const variant of ladder.variants) expect(variant.subtitlesGroup, variant.uri).toBe(track?.groupId);
    const playlist = readMediaPlaylist(HLS_LADDER_DIR, track?.uri ?? "");
    for (const segment of playlist.segments)
      expect(readFileSync(posix.join(HLS_LADDER_DIR, segment.uri), "utf8")).toMatch(/^WEBVTT\n/);
  });

  it("states each variant's BANDWIDTH as at least its peak segment bitrate plus the audio's, and its AVERAGE-BANDWIDTH as at least the average", () => {
    const audioRates = bitrates(readMediaPlaylist(HLS_LADDER_DIR, audio[0]?.uri ?? ""));
    for (const variant of ladder.variants) {
      const video = bitrates(readMediaPlaylist(HLS_LADDER_DIR, variant.uri));
      expect(variant.bandwidth, variant.uri).toBeGreaterThanOrEqual(video.peak + audioRates.peak);
      expect(variant.averageBandwidth ?? 0, variant.uri).toBeGreaterThanOrEqual(video.average + audioRates.average);
      // Honest, not padded: within 5% of the measured peak.
      expect(variant.bandwidth, variant.uri).toBeLessThan((video.peak + audioRates.peak) * 1.05);
    }
  });

  it(`plays for at least ${MIN_DURATION_SECONDS} s in every rendition`, () => {
    for (const uri of [...ladder.variants.map((variant) => variant.uri), ...audio.map((rendition) => rendition.uri)]) {
      expect(bitrates(readMediaPlaylist(HLS_LADDER_DIR, uri)).duration, uri).toBeGreaterThanOrEqual(
        MIN_DURATION_SECONDS,
      );
    }
  });

  it("is fMP4: each video and audio playlist has an init section (ftyp, moov) and segments with movie fragments (moof, mdat)", () => {
    for (const uri of [...ladder.variants.map((variant) => variant.uri), ...audio.map((rendition) => rendition.uri)]) {
      const playlist = readMediaPlaylist(HLS_LADDER_DIR, uri);
      expect(playlist.initUri, uri).toBeDefined();
      expect(boxTypesAt(playlist.initUri ?? "").slice(0, 2), uri).toEqual(["ftyp", "moov"]);
      for (const segment of playlist.segments)
        expect(boxTypesAt(segment.uri), segment.uri).toEqual(expect.arrayContaining(["moof", "mdat"]));
    }
  });

  it("holds exactly the files its playlists name (nothing dangling, nothing stray), and npm run dev seeds each under the same key", () => {
    const named = new Set<string>([HLS_MASTER_PATH]);
    for (const uri of [
      ...ladder.variants.map((variant) => variant.uri),
      ...ladder.renditions.map((rendition) => rendition.uri),
    ]) {
      named.add(uri);
      const playlist = readMediaPlaylist(HLS_LADDER_DIR, uri);
      if (playlist.initUri !== undefined) named.add(playlist.initUri);
      for (const segment of playlist.segments) named.add(segment.uri);
    }
    expect([...named].sort()).toEqual([...files].sort());
    const seeded = SAMPLE_OBJECTS.filter((sample) => sample.key.startsWith(HLS_LADDER_DIR)).map((sample) => sample.key);
    expect(seeded.sort()).toEqual(files.map((file) => `${HLS_LADDER_DIR}${file}`).sort());
  });
});
