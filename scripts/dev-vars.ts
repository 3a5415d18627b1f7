/** Local secrets: .dev.vars, created from the committed throwaway values on a fresh clone. */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";

export const DEV_VARS = ".dev.vars";

/** Creates .dev.vars from .dev.vars.example when it is missing. */
export function ensureDevVars(): void {
  if (!existsSync(DEV_VARS)) {
    copyFileSync(".dev.vars.example", DEV_VARS);
    console.error(`dev: created ${DEV_VARS} from .dev.vars.example`);
  }
}

/** The local secrets by name (creating .dev.vars first if needed). */
export function readDevVars(): Record<string, string | undefined> {
  ensureDevVars();
  return parseEnv(readFileSync(DEV_VARS, "utf8"));
}
