/**
 * Process helpers for the bench: CPU time and RSS of a process read from
 * /proc, the port a process listens on, the open-file limit, and
 * line-by-line reading of a child's output.
 */

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`), 100 when it cannot be read. */
export async function clkTck(): Promise<number> {
  if (clockTicks !== undefined) return clockTicks;
  try {
    const out = await new Deno.Command("getconf", {
      args: ["CLK_TCK"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/** User + system CPU seconds of a process so far (/proc/PID/stat). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces: count from its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / await clkTck();
}

/** Nanoseconds a thread ran, and waited on a run queue, so far. */
export interface ThreadTime {
  run: number;
  wait: number;
}

/**
 * Each thread's {@link ThreadTime} of a process
 * (/proc/PID/task/TID/schedstat), by thread id; threads that end meanwhile
 * are left out.
 */
export async function threadTimes(
  pid: number,
): Promise<Map<string, ThreadTime>> {
  const times = new Map<string, ThreadTime>();
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = (await Deno.readTextFile(
        `/proc/${pid}/task/${task.name}/schedstat`,
      )).split(" ").map(Number);
      times.set(task.name, { run, wait });
    } catch {
      // The thread ended.
    }
  }
  return times;
}

/** Resident set size of a process in KiB (VmRSS of /proc/PID/status). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]);
}

/**
 * The TCP port a process listens on: the sockets among its open files,
 * matched against the LISTEN rows of /proc/PID/net/tcp. Undefined while it
 * listens on none (or only on `except`, e.g. its inspector).
 */
export async function listeningPort(
  pid: number,
  except?: number,
): Promise<number | undefined> {
  const inodes = new Set<string>();
  try {
    for await (const entry of Deno.readDir(`/proc/${pid}/fd`)) {
      try {
        const target = await Deno.readLink(`/proc/${pid}/fd/${entry.name}`);
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m) inodes.add(m[1]);
      } catch {
        // The descriptor closed meanwhile.
      }
    }
    const table = await Deno.readTextFile(`/proc/${pid}/net/tcp`);
    for (const line of table.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is "HEXIP:HEXPORT"; st 0A is LISTEN; inode is col 9.
      if (cols.length > 9 && cols[3] === "0A" && inodes.has(cols[9])) {
        const port = parseInt(cols[1].split(":")[1], 16);
        if (port !== except) return port;
      }
    }
  } catch {
    // The process is gone or not readable yet.
  }
  return undefined;
}

/** Calls `onLine` for each line of a byte stream; resolves at its end. */
export async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  }
  rest += decoder.decode();
  if (rest.length > 0) onLine(rest);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Rejects with `what` when `promise` takes longer than `ms`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Busy CPU seconds of the whole machine so far (first line of /proc/stat:
 * user, nice, system, irq, softirq and steal), to tell how much of it went
 * to processes other than the ones measured.
 */
export async function machineBusySeconds(): Promise<number> {
  const stat = await Deno.readTextFile("/proc/stat");
  const f = stat.slice(0, stat.indexOf("\n")).trim().split(/\s+/).slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal (guest is in user).
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  return busy / await clkTck();
}

/** Open-file limit of this process (the workers and server inherit it). */
export async function openFileLimit(): Promise<number> {
  try {
    const text = await Deno.readTextFile("/proc/self/limits");
    const m = /^Max open files\s+(\d+)/m.exec(text);
    if (m) return Number(m[1]);
  } catch {
    // Unknown.
  }
  return 1024;
}
