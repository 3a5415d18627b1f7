/**
 * The demo page's upload panel in a real browser: tus-js-client uploads a file
 * through the router into the media Worker (one Durable Object per upload, R2
 * multipart), survives the network going away and a page reload (resuming
 * from the upload URL it stored, not starting over), and once the media
 * Worker's signed webhook reaches the backend and comes back as an
 * `upload.completed` event, the page plays the new video.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CDPSession, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { screenshot } from "./browser.ts";
import { useStackSession } from "./session.ts";
import { GATEWAY_URL } from "./stack.ts";

const MIB = 1024 * 1024;
const SAMPLE_MP4 = "samples/testsrc-640x360.mp4";
/** Slow enough that a 12 MiB upload takes several seconds, so the test can cut it mid-way. */
const UPLOAD_BYTES_PER_SECOND = 2 * MIB;

const session = useStackSession();
const dir = mkdtempSync(join(tmpdir(), "e2e-uploads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 12 MiB file the media Worker accepts as MP4 (its first bytes are the sample's `ftyp` box), the rest random. */
function twelveMiBFile(name: string): { path: string; bytes: Buffer } {
  const head = readFileSync(SAMPLE_MP4).subarray(0, 64);
  const bytes = Buffer.concat([head, randomBytes(12 * MIB - head.length)]);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

interface UploadState {
  state: string;
  key: string;
  resumedFrom: string;
  completedKey: string;
  sent: number;
  total: number;
  text: string;
}

function uploadState(page: Page): Promise<UploadState> {
  return page.evaluate(() => {
    const status = document.querySelector<HTMLElement>("#upload-status");
    const progress = document.querySelector<HTMLProgressElement>("#upload-progress");
    return {
      state: status?.dataset.state ?? "",
      key: status?.dataset.key ?? "",
      resumedFrom: status?.dataset.resumedFrom ?? "",
      completedKey: status?.dataset.completedKey ?? "",
      sent: progress?.value ?? 0,
      total: progress?.max ?? 0,
      text: status?.textContent ?? "",
    };
  });
}

async function network(page: Page): Promise<CDPSession> {
  const devtools = await page.context().newCDPSession(page);
  await devtools.send("Network.enable");
  return devtools;
}

async function emulate(devtools: CDPSession, offline: boolean): Promise<void> {
  await devtools.send("Network.emulateNetworkConditions", {
    offline,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: UPLOAD_BYTES_PER_SECOND,
  });
}

/** Opens the page with 5 MiB chunks, throttles its uploads and picks `path` in the upload panel. */
async function startThrottledUpload(page: Page, path: string): Promise<CDPSession> {
  await page.goto("/?chunk=5");
  const devtools = await network(page);
  await emulate(devtools, false);
  await page.setInputFiles("#upload-file", path);
  return devtools;
}

/** The object as a fresh download URL gives it (minted by the backend, fetched through the gateway). */
async function download(key: string): Promise<Buffer> {
  const minted = await fetch(`${GATEWAY_URL}/api/v1/media/${key.split("/").map(encodeURIComponent).join("/")}`);
  expect(minted.status).toBe(200);
  const { url } = (await minted.json()) as { url: string };
  const response = await fetch(new URL(url, GATEWAY_URL));
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Counts upload creations (`POST /media/uploads`) the page makes. */
function countCreations(page: Page): { count: number } {
  const creations = { count: 0 };
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/media/uploads") creations.count += 1;
  });
  return creations;
}

/** Starts a throttled upload of `path` and waits until it is past the first 5 MiB part; its key and the devtools session. */
async function uploadPastFirstPart(page: Page, path: string): Promise<{ devtools: CDPSession; key: string }> {
  const devtools = await startThrottledUpload(page, path);
  await expect.poll(async () => (await uploadState(page)).sent, { timeout: 30_000 }).toBeGreaterThan(6 * MIB);
  return { devtools, key: (await uploadState(page)).key };
}

/** Waits until the page's upload has finished (uploaded, or its completion event arrived). */
async function untilUploaded(page: Page): Promise<void> {
  await expect.poll(async () => (await uploadState(page)).state, { timeout: 60_000 }).toMatch(/^(uploaded|completed)$/);
}

/** How many upload URLs tus-js-client keeps in the page's localStorage. */
function storedUploads(page: Page): Promise<number> {
  return page.evaluate(() => Object.keys(localStorage).filter((name) => name.startsWith("tus::")).length);
}

describe("the demo page's resumable upload", () => {
  it("uploads 12 MiB in 5 MiB chunks through a network cut: it completes, and the download matches byte for byte", async () => {
    const { page } = session;
    const file = twelveMiBFile("cut.mp4");
    const creations = countCreations(page);
    const devtools = await startThrottledUpload(page, file.path);

    await expect.poll(async () => (await uploadState(page)).sent, { timeout: 30_000 }).toBeGreaterThan(3 * MIB);
    await emulate(devtools, true);
    await expect.poll(async () => (await uploadState(page)).state, { timeout: 30_000 }).toBe("offline");
    const cutAt = (await uploadState(page)).sent;
    expect(cutAt).toBeLessThan(12 * MIB);
    await screenshot(page, "upload-offline");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await emulate(devtools, false);

    await untilUploaded(page);
    const state = await uploadState(page);
    // Back online, the client asked the server where it stood (HEAD) and went on from there.
    expect(Number(state.resumedFrom)).toBeGreaterThan(0);
    expect(Number(state.resumedFrom)).toBeLessThanOrEqual(cutAt);
    expect(creations.count).toBe(1);
    expect(state.key).toMatch(/^uploads\/[A-Za-z0-9_-]+\/cut\.mp4$/);
    expect((await download(state.key)).equals(file.bytes)).toBe(true);
    // The backend heard of it (signed webhook) and told the page over SSE.
    await expect.poll(async () => (await uploadState(page)).completedKey, { timeout: 30_000 }).toBe(state.key);
    await devtools.detach();
  });

  it("resumes after a reload from the upload URL it stored, not from zero and not as a new upload", async () => {
    const { page } = session;
    const file = twelveMiBFile("reload.mp4");
    const creations = countCreations(page);
    // Past the first 5 MiB chunk: the server holds at least one part.
    const first = await uploadPastFirstPart(page, file.path);
    let devtools = first.devtools;
    const key = first.key;
    expect(await storedUploads(page)).toBe(1);

    await page.reload();
    devtools = await network(page);
    await emulate(devtools, false);
    await page.setInputFiles("#upload-file", file.path);
    await expect.poll(async () => (await uploadState(page)).resumedFrom, { timeout: 30_000 }).not.toBe("");
    const resumedFrom = Number((await uploadState(page)).resumedFrom);
    expect(resumedFrom).toBeGreaterThanOrEqual(5 * MIB);
    expect((await uploadState(page)).key).toBe(key);
    await screenshot(page, "upload-resumed");

    await untilUploaded(page);
    // One creation across both page loads: the reload went on with the same upload.
    expect(creations.count).toBe(1);
    expect((await download(key)).equals(file.bytes)).toBe(true);
    // Done: tus-js-client forgot the URL, so the same file would start a new upload.
    expect(await storedUploads(page)).toBe(0);
    await devtools.detach();
  });

  it("recognises a finished upload whose stored URL is gone instead of uploading it again; an unfinished one starts over and says so", async () => {
    const { page } = session;
    const file = twelveMiBFile("expired.mp4");
    const creations = countCreations(page);
    const { devtools, key } = await uploadPastFirstPart(page, file.path);
    // What tus-js-client stored mid-upload, put back below once the upload is done.
    const stored = await page.evaluate(() =>
      Object.fromEntries(Object.keys(localStorage).map((name) => [name, localStorage.getItem(name) ?? ""])),
    );
    await untilUploaded(page);
    await devtools.detach();
    expect(creations.count).toBe(1);

    // The stored entry with a URL the Worker answers 404 for, as it does once an upload URL expired.
    const gone = "/media/uploads/expired-upload-url";
    const restore = (mappedKey: string) =>
      page.evaluate(
        ([entries, gonePath, keyOfUpload]) => {
          localStorage.clear();
          for (const [name, value] of Object.entries(entries))
            if (name.startsWith("tus::"))
              localStorage.setItem(
                name,
                JSON.stringify({ ...JSON.parse(value), uploadUrl: new URL(gonePath, location.origin).href }),
              );
          localStorage.setItem("edge-gateway:upload-keys", JSON.stringify({ [gonePath]: keyOfUpload }));
        },
        [stored, gone, mappedKey] as const,
      );

    await restore(key);
    expect(await storedUploads(page)).toBe(1);
    await page.reload();
    await page.setInputFiles("#upload-file", file.path);
    await expect.poll(async () => (await uploadState(page)).state, { timeout: 30_000 }).toBe("completed");
    const recognised = await uploadState(page);
    expect(recognised.key).toBe(key);
    expect(recognised.text).toBe(`expired.mp4 is already stored as ${key}: playing it, not uploading it again.`);
    expect(await page.$eval("#upload-status", (status) => (status as HTMLElement).dataset.alreadyStored)).toBe(key);
    expect(creations.count).toBe(1);
    expect(await storedUploads(page)).toBe(0);
    await screenshot(page, "upload-already-stored");

    // The same stored URL for an object that was never completed: a new upload, announced as one.
    await restore("uploads/never-finished/expired.mp4");
    await page.reload();
    await page.setInputFiles("#upload-file", file.path);
    await untilUploaded(page);
    expect(await page.$eval("#upload-status", (status) => (status as HTMLElement).dataset.startedOver)).toBe("expired");
    expect(creations.count).toBe(2);
    const fresh = (await uploadState(page)).key;
    expect(fresh).not.toBe(key);
    expect((await download(fresh)).equals(file.bytes)).toBe(true);
  });

  it("plays the sample MP4 it uploaded once the backend's upload.completed event arrives", async () => {
    const { page } = session;
    await page.goto("/");
    await page.setInputFiles("#upload-file", SAMPLE_MP4);
    await expect
      .poll(async () => (await uploadState(page)).completedKey, { timeout: 60_000 })
      .toMatch(/^uploads\/[A-Za-z0-9_-]+\/testsrc-640x360\.mp4$/);
    const { completedKey } = await uploadState(page);
    // The event is listed with its latency.
    const listed = await page.$eval(`#events li[data-type="upload.completed"]`, (element) => ({
      ...(element as HTMLElement).dataset,
    }));
    expect(listed.key).toBe(completedKey);
    expect(Number(listed.latencyMs)).toBeGreaterThanOrEqual(0);

    await page.waitForFunction(
      () => {
        const video = document.querySelector<HTMLVideoElement>("#upload-player");
        return video !== null && !video.hidden && !video.paused && video.currentTime > 1;
      },
      undefined,
      { timeout: 30_000, polling: 250 },
    );
    const src = await page.$eval("#upload-player", (video) => (video as HTMLVideoElement).currentSrc);
    expect(new URL(src).pathname).toMatch(/^\/media\/v1\/[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await download(completedKey)).equals(readFileSync(SAMPLE_MP4))).toBe(true);
    await screenshot(page, "upload-playing");
  });
});
