/** Local secrets: .dev.vars, created from the committed throwaway values on a fresh clone. */
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";

export const DEV_VARS = ".dev.vars";
const EXAMPLE = ".dev.vars.example";

/**
 * Creates .dev.vars from .dev.vars.example when it is missing, and adds any
 * name the example has gained since (a new secret) to an existing one,
 * leaving the values already there alone.
 */
export function ensureDevVars(): void {
  if (!existsSync(DEV_VARS)) {
    copyFileSync(EXAMPLE, DEV_VARS);
    console.error(`dev: created ${DEV_VARS} from ${EXAMPLE}`);
    return;
  }
  const example = parseEnv(readFileSync(EXAMPLE, "utf8"));
  const present = parseEnv(readFileSync(DEV_VARS, "utf8"));
  const missing = Object.keys(example).filter((name) => present[name] === undefined);
  if (missing.length === 0) return;
  const text = readFileSync(DEV_VARS, "utf8");
  appendFileSync(
    DEV_VARS,
    `${text === "" || text.endsWith("\n") ? "" : "\n"}${missing.map((name) => `${name}=${example[name] ?? ""}\n`).join("")}`,
  );
  console.error(`dev: added ${missing.join(", ")} to ${DEV_VARS} from ${EXAMPLE}`);
}

/** The local secrets by name (creating .dev.vars first if needed). */
export function readDevVars(): Record<string, string | undefined> {
  ensureDevVars();
  return parseEnv(readFileSync(DEV_VARS, "utf8"));
}
