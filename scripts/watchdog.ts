/**
 * A watchdog for a `deno test` run: it reads the run's output line by line,
 * knows which file and which test are running, and when no test has started
 * or finished for too long, kills the whole run and everything it started.
 * Without it one hung test held CI until its outer timeout and the run ended
 * with "no summary from deno test", naming nothing.
 */

/**
 * How long a run may go without a test starting or finishing before it
 * counts as hung. The slowest single test takes about 60 s on a busy 2-core
 * machine (two busy loops beside the suite), and a file's set-up (a browser,
 * PostgreSQL, Redis) a few seconds more: 10 minutes is ten times that, so a
 * slow test is never taken for a hang, and a hang costs 10 minutes of CI
 * rather than all of it.
 */
export const SILENCE_LIMIT_MS = 10 * 60_000;

/** Passed, failed and skipped counts. */
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

// "running 5 tests from ./tests/app_test.ts"
const RUNNING = /^running \d+ tests? from (.+)$/;
// "name ... ok (1ms)", "  step ... FAILED (2ms)", "name ... ignored (0ms)";
// a step is indented and deno does not count it as a test.
const RESULT = /^(\s*)(.+?) \.\.\. (ok|FAILED|ignored)\b/;
// "name ..." alone: the test started (its output or its result follows).
const STARTED = /^(\S.*?) \.\.\.$/;

/** Strips colours, which would hide the lines from the patterns. */
export function plain(line: string): string {
  // deno-lint-ignore no-control-regex
  return line.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * What a run's output says so far: the file and test running, the tests
 * counted, and when it last moved. A test's own output does not count as
 * moving: a hung test that logs in a loop is still hung.
 */
export class Progress {
  file = "";
  /** Every file started, in order (the last one is running). */
  files: string[] = [];
  test = "";
  tally: Tally = { passed: 0, failed: 0, skipped: 0 };
  lastMove = Date.now();

  /** Reads one whole line of the run's output. */
  line(raw: string): void {
    const line = plain(raw);
    const running = RUNNING.exec(line);
    if (running) {
      this.file = running[1];
      this.files.push(running[1]);
      this.test = "";
      this.lastMove = Date.now();
      return;
    }
    const result = RESULT.exec(line);
    if (result) {
      this.lastMove = Date.now();
      if (result[1] !== "") return;
      this.test = "";
      if (result[3] === "ok") this.tally.passed++;
      else if (result[3] === "FAILED") this.tally.failed++;
      else this.tally.skipped++;
      return;
    }
    this.started(line);
    if (line.startsWith("Check ")) this.lastMove = Date.now();
  }

  /** Reads the line being written: deno writes "name ..." before a test. */
  partial(raw: string): void {
    this.started(plain(raw));
  }

  private started(line: string): void {
    const started = STARTED.exec(line);
    if (!started || started[1] === this.test) return;
    this.test = started[1];
    this.lastMove = Date.now();
  }

  /** Names what hung, for the log. */
  describe(): string {
    const test = this.test ? `"${this.test}"` : "(between tests)";
    return `${test} in ${this.file || "(no test file started yet)"}`;
  }
}

/**
 * Makes this process the reaper of its orphaned descendants (Linux
 * PR_SET_CHILD_SUBREAPER), so a server a test daemonizes (redis-server
 * --daemonize, pg_ctl start) stays under us rather than under init, and
 * {@link killDescendants} finds it. Returns a stop function for the reaping
 * of those orphans once they exit (else they stay zombies for the whole
 * run); a no-op elsewhere than Linux, where daemons escape the kill.
 */
export function adoptOrphans(keep: () => number | undefined): () => void {
  if (Deno.build.os !== "linux") return () => {};
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      prctl: {
        parameters: ["i32", "u64", "u64", "u64", "u64"],
        result: "i32",
      },
      waitpid: { parameters: ["i32", "pointer", "i32"], result: "i32" },
    });
  } catch (error) {
    // A libc of another name (musl): the run goes on, and a hang's
    // daemons may escape its kill, as elsewhere than Linux.
    console.warn(`Cannot adopt the tests' daemons: ${error}`);
    return () => {};
  }
  const PR_SET_CHILD_SUBREAPER = 36;
  const WNOHANG = 1;
  libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
  const reap = () => {
    for (const { pid, ppid, state } of processes()) {
      // Our own child is Deno's to wait for: waiting here would take its
      // exit status from it.
      if (ppid === Deno.pid && state === "Z" && pid !== keep()) {
        libc.symbols.waitpid(pid, null, WNOHANG);
      }
    }
  };
  const timer = setInterval(reap, 1_000);
  return () => {
    clearInterval(timer);
    reap();
  };
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
}

function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // Gone meanwhile.
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    found.push({
      pid: Number(entry.name),
      state: fields[0],
      ppid: Number(fields[1]),
    });
  }
  return found;
}

/** The live (not zombie) descendants of a process. */
export function descendants(root: number): number[] {
  const all = processes();
  const found: number[] = [];
  const parents = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const { pid, ppid, state } of all) {
      if (parents.has(ppid) && !parents.has(pid)) {
        parents.add(pid);
        if (state !== "Z") found.push(pid);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * SIGKILLs every descendant of this process, again until none is left (one
 * may fork while we kill). SIGKILL, as a hung process may ignore anything
 * else; a test's unload clean-up does not run, which is why the servers it
 * started must be found and killed here.
 */
export async function killDescendants(): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 50; round++) {
    const pids = Deno.build.os === "linux" ? descendants(Deno.pid) : [];
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // Already gone, or not ours to kill.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return killed;
}
