import { describe, expect, it } from "vitest";
import { parsedPerEnv } from "../../shared/per-env";

describe("parsedPerEnv (settings parsed once per Env, used by the api and media Workers)", () => {
  it("parses an Env once however often it is asked, and another Env on its own", () => {
    let parses = 0;
    const settings = parsedPerEnv((env: { LIMIT: string }) => {
      parses += 1;
      return { limit: Number(env.LIMIT) };
    });
    const first = { LIMIT: "5" };
    const second = { LIMIT: "7" };
    expect(settings(first)).toEqual({ limit: 5 });
    expect(settings(first)).toBe(settings(first));
    expect(settings(second)).toEqual({ limit: 7 });
    expect(parses).toBe(2);
  });
});
