/**
 * The demo page's live events in a real browser: an EventSource through the
 * gateway's /api, unbuffered, and resuming with Last-Event-ID when the backend
 * restarts (the api Worker answers 200 with `retry:` while it is down, so the
 * browser keeps reconnecting).
 */
import { describe, expect, it } from "vitest";
import { screenshot } from "./browser.ts";
import type { ListedEvent } from "./demo-page.ts";
import { eventsConnection, listedEvents } from "./demo-page.ts";
import { useStackSession } from "./session.ts";

const EVERY_MS = 500;

const session = useStackSession();

describe("the demo page's live events", () => {
  it("lists each event as the backend emits it, one by one", async () => {
    const { page } = session;
    await page.goto(`/?every=${EVERY_MS}`);
    await expect.poll(async () => (await listedEvents(page)).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);

    const events = await listedEvents(page);
    expect(events.map((event) => event.id)).toEqual(consecutiveFrom(1, events.length));
    // Unbuffered: every event reached the page before the backend wrote the next one.
    for (const event of events) expect(event.receivedAt - event.emittedAt, `event ${event.id}`).toBeLessThan(EVERY_MS);
    expect(await eventsConnection(page)).toMatchObject({ state: "live", reconnects: 0 });
    await screenshot(page, "events-live");
  });

  it("keeps reconnecting while the backend is down and resumes the numbering after it restarts", async () => {
    const { page } = session;
    await page.goto(`/?every=${EVERY_MS}`);
    await expect.poll(async () => (await listedEvents(page)).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    await session.stopBackend();
    const lastBefore = lastId(await listedEvents(page));
    await expect
      .poll(async () => (await eventsConnection(page)).reconnects, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    // Still trying: a non-200 answer would have closed the EventSource for good.
    expect((await eventsConnection(page)).state).not.toBe("closed");
    expect(lastId(await listedEvents(page))).toBe(lastBefore);
    await screenshot(page, "events-backend-down");

    await session.startBackend();
    await expect
      .poll(async () => lastId(await listedEvents(page)), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(lastBefore + 3);
    const events = await listedEvents(page);
    // Last-Event-ID carried the position across the restart: no gap, no repeat.
    expect(events.map((event) => event.id)).toEqual(consecutiveFrom(1, events.length));
    expect((await eventsConnection(page)).state).toBe("live");
    await screenshot(page, "events-resumed");
  });
});

function lastId(events: ListedEvent[]): number {
  return events.at(-1)?.id ?? 0;
}

function consecutiveFrom(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index);
}
