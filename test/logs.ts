/** What tests of any Worker use to read its log lines: the console, as the Workers runtime collects it. */
import { vi } from "vitest";

/** Every console line the Worker writes while `work` runs, and what `work` returned. */
export async function captureLogs<T>(work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const spies = (["log", "warn", "error"] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))),
  );
  try {
    return { result: await work(), lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The JSON log lines among captured console lines. */
export function logRecords(lines: string[]): Record<string, unknown>[] {
  return lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
}
