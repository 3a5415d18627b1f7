/**
 * What each process on the machine got: CPU seconds and resident memory from
 * /proc (Linux only), so a run can say which share of the 2 cores went to the
 * server under test, to the load generator and to everything else.
 */
import { readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the bench targets.

/** User + system CPU seconds a process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident set size in bytes (0 once the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (all cores) and the core count, from /proc/stat. */
export function machineCpu(): { busySeconds: number; cores: number } {
  const stat = readFileSync("/proc/stat", "utf8");
  const total = stat.split("\n")[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const busy = total.reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  const cores = stat.split("\n").filter((line) => /^cpu\d+ /.test(line)).length;
  return { busySeconds: busy / CLOCK_TICKS_PER_SECOND, cores };
}

/** Child process ids of a process (direct children only). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface CpuShares {
  /** Share of the machine's total CPU capacity (all cores) during the run, per named process group. */
  [group: string]: number;
}

/**
 * Measures CPU seconds of named process groups across an async run and turns
 * them into shares of the machine's capacity; `others` is whatever the rest
 * of the machine (other users of these shared cores) took meanwhile.
 */
export async function withCpuShares<T>(
  groups: Record<string, () => number>,
  run: () => Promise<{ result: T; extraCpu?: Record<string, number> }>,
): Promise<{ result: T; shares: CpuShares; cpuSeconds: Record<string, number>; wallSeconds: number }> {
  const before = Object.fromEntries(Object.entries(groups).map(([name, read]) => [name, read()]));
  const machineBefore = machineCpu();
  const started = performance.now();
  const { result, extraCpu = {} } = await run();
  const wallSeconds = (performance.now() - started) / 1000;
  const machineAfter = machineCpu();
  const capacity = wallSeconds * machineAfter.cores;
  const used: Record<string, number> = Object.fromEntries(
    Object.entries(groups).map(([name, read]) => [name, read() - (before[name] ?? 0)]),
  );
  Object.assign(used, extraCpu);
  const ours = Object.values(used).reduce((sum, seconds) => sum + seconds, 0);
  const shares: CpuShares = Object.fromEntries(
    Object.entries(used).map(([name, seconds]) => [name, seconds / capacity]),
  );
  shares.others = Math.max(0, machineAfter.busySeconds - machineBefore.busySeconds - ours) / capacity;
  return { result, shares, cpuSeconds: used, wallSeconds };
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number, intervalMs = 25): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}
