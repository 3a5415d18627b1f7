/** The workerd process Miniflare runs, seen from /proc (Linux): its memory and its CPU time. */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";

/** workerd's resident set in KiB, from /proc (Linux). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** /proc/<pid>/smaps_rollup's totals in MiB (resident, anonymous, file-backed, swapped). */
export async function smapsRollup(pid: number): Promise<Record<string, number>> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (name: string) =>
    Math.round(Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) / 1024);
  return {
    Rss: field("Rss"),
    Pss: field("Pss"),
    Anonymous: field("Anonymous"),
    Private_Dirty: field("Private_Dirty"),
    Shared_Clean: field("Shared_Clean"),
    Swap: field("Swap"),
  };
}

/** The workerd process Miniflare started (a child of this process). */
export async function workerdPid(): Promise<number> {
  const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  const line = out.split("\n").find((row) => row.includes("workerd"));
  if (!line) throw new Error("no workerd child process found");
  return Number(line.trim().split(/\s+/)[0]);
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time the process has used so far (user + system), in milliseconds, at 10 ms resolution. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
