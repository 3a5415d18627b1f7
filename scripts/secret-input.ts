/**
 * Reading a secret the way `wrangler secret put` does: from stdin, never from
 * argv (argv lands in shell history and `ps`), trailing whitespace trimmed
 * (wrangler stores `value.trimEnd()`, so a fingerprint of the same input
 * matches what the Worker holds). At a terminal the typing is not echoed.
 */
import { stdin, stderr } from "node:process";

/** The secret as wrangler would store it from the same input. */
export function asStored(input: string): string {
  return input.trimEnd();
}

/** Reads all of a piped stdin. */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads one line from the terminal without echoing it. */
function readHiddenLine(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    let value = "";
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const character of text) {
        if (character === "\r" || character === "\n" || character === "\u0004") return finish();
        if (character === "\u0003") return finish(new Error("cancelled"));
        if (character === "\u007f") value = value.slice(0, -1);
        else value += character;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

/** The secret from stdin (piped, or typed without echo at a terminal), as wrangler would store it. */
export async function readSecret(prompt: string): Promise<string> {
  const input = stdin.isTTY ? await readHiddenLine(prompt) : await readPiped();
  return asStored(input);
}
