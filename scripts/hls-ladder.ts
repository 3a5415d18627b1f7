/**
 * Reads the committed HLS ladder (samples/hls/, made once with ffmpeg, see
 * samples/README.md): its variants, renditions and segments as the master
 * and media playlists list them. The ladder's own test checks it against the
 * HLS rules, and the e2e suite takes its codecs and bitrates from here, so a
 * regenerated ladder cannot leave a test with stale numbers.
 */
import { readFileSync } from "node:fs";
import { posix } from "node:path";

export const HLS_MASTER_PATH = "master.m3u8";

/** One `#EXT-X-STREAM-INF` entry of the master playlist. */
export interface LadderVariant {
  uri: string;
  bandwidth: number;
  averageBandwidth: number | undefined;
  codecs: string[];
  resolution: string;
  audioGroup: string | undefined;
  subtitlesGroup: string | undefined;
}

/** One `#EXT-X-MEDIA` entry (an audio or subtitle rendition). */
export interface LadderRendition {
  type: string;
  groupId: string;
  uri: string;
  attributes: Readonly<Record<string, string>>;
}

export interface MediaSegment {
  uri: string;
  duration: number;
}

export interface MediaPlaylist {
  initUri: string | undefined;
  segments: MediaSegment[];
}

export interface HlsLadder {
  variants: LadderVariant[];
  renditions: LadderRendition[];
}

/** An attribute list (RFC 8216 §4.2): `NAME=value,NAME="quoted, value"`. */
export function parseAttributes(list: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
    const [, name = "", value = ""] = match;
    attributes[name] = value.startsWith('"') ? value.slice(1, -1) : value;
  }
  return attributes;
}

function required(attributes: Readonly<Record<string, string>>, name: string, where: string): string {
  const value = attributes[name];
  if (value === undefined) throw new Error(`${where} lacks ${name}`);
  return value;
}

/** The master playlist's variants and renditions. */
export function parseMasterPlaylist(text: string): HlsLadder {
  const lines = text.split("\n").map((line) => line.trim());
  const variants: LadderVariant[] = [];
  const renditions: LadderRendition[] = [];
  lines.forEach((line, index) => {
    if (line.startsWith("#EXT-X-STREAM-INF:")) {
      const attributes = parseAttributes(line.slice("#EXT-X-STREAM-INF:".length));
      const uri = lines[index + 1] ?? "";
      const average = attributes["AVERAGE-BANDWIDTH"];
      variants.push({
        uri,
        bandwidth: Number(required(attributes, "BANDWIDTH", uri)),
        averageBandwidth: average === undefined ? undefined : Number(average),
        codecs: required(attributes, "CODECS", uri).split(","),
        resolution: required(attributes, "RESOLUTION", uri),
        audioGroup: attributes["AUDIO"],
        subtitlesGroup: attributes["SUBTITLES"],
      });
    } else if (line.startsWith("#EXT-X-MEDIA:")) {
      const attributes = parseAttributes(line.slice("#EXT-X-MEDIA:".length));
      renditions.push({
        type: required(attributes, "TYPE", line),
        groupId: required(attributes, "GROUP-ID", line),
        uri: required(attributes, "URI", line),
        attributes,
      });
    }
  });
  return { variants, renditions };
}

/** A VOD media playlist's init section and segments, in order. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split("\n").map((line) => line.trim());
  let initUri: string | undefined;
  const segments: MediaSegment[] = [];
  lines.forEach((line, index) => {
    if (line.startsWith("#EXT-X-MAP:")) initUri = parseAttributes(line.slice("#EXT-X-MAP:".length))["URI"];
    if (line.startsWith("#EXTINF:"))
      segments.push({ uri: lines[index + 1] ?? "", duration: Number.parseFloat(line.slice("#EXTINF:".length)) });
  });
  return { initUri, segments };
}

/** Reads the ladder under `dir` (relative URIs resolved against each playlist's own folder). */
export function readHlsLadder(dir: string): HlsLadder {
  return parseMasterPlaylist(readFileSync(posix.join(dir, HLS_MASTER_PATH), "utf8"));
}

/** Reads the media playlist at `uri` (relative to the master) and resolves its URIs to paths relative to the master. */
export function readMediaPlaylist(dir: string, uri: string): MediaPlaylist {
  const playlist = parseMediaPlaylist(readFileSync(posix.join(dir, uri), "utf8"));
  const base = posix.dirname(uri);
  return {
    initUri: playlist.initUri === undefined ? undefined : posix.join(base, playlist.initUri),
    segments: playlist.segments.map((segment) => ({ ...segment, uri: posix.join(base, segment.uri) })),
  };
}

/** Start time in seconds of the segment at `uri` in `playlist` (-1 when it lists no such segment). */
export function segmentStart(playlist: MediaPlaylist, uri: string): number {
  let start = 0;
  for (const segment of playlist.segments) {
    if (segment.uri === uri) return start;
    start += segment.duration;
  }
  return -1;
}
