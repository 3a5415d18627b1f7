/**
 * A test file's view of the stack: its own local backend (which it may stop
 * and restart) and one Chromium page on the gateway, opened before its tests
 * and closed after them.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { BrowserSession } from "./browser.ts";
import { openBrowser } from "./browser.ts";
import type { RunningBackend } from "./stack.ts";
import { GATEWAY_URL, startLocalBackend } from "./stack.ts";

export class StackSession {
  #backend: RunningBackend | undefined;
  #browser: BrowserSession | undefined;

  get page(): Page {
    if (!this.#browser) throw new Error("the session is not open: call useStackSession() at the top of the file");
    return this.#browser.page;
  }

  async startBackend(): Promise<void> {
    this.#backend = await startLocalBackend();
  }

  async stopBackend(): Promise<void> {
    await this.#backend?.close();
    this.#backend = undefined;
  }

  async open(): Promise<void> {
    await this.startBackend();
    this.#browser = await openBrowser(GATEWAY_URL);
  }

  async close(): Promise<void> {
    await this.#browser?.close();
    await this.stopBackend();
  }
}

/** Registers the session's hooks for the calling test file. */
export function useStackSession(): StackSession {
  const session = new StackSession();
  beforeAll(() => session.open());
  afterAll(() => session.close());
  return session;
}
