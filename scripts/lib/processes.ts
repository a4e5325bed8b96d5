// Owns the child processes of `npm run dev`: each runs in its own process group (so a Ctrl-C reaches
// only the supervisor, which stops them in order, and grandchildren such as tsx's node go with them),
// its output is prefixed with its name, and a child that dies on its own is reported by name.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  /** Short name used as the output prefix and in error messages. */
  name: string;
  command: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How long the group may take to exit after SIGTERM before it is killed. Default 15 s. */
  stopGraceMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: Error;
}

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves when the process has exited, whatever the reason. */
  readonly exited: Promise<Exit>;
  /** Calls `listener` with every line the process writes to stdout or stderr. */
  onLine(listener: (line: string) => void): void;
}

export interface SupervisorOptions {
  /** Where prefixed child output and the supervisor's own lines go. */
  write?: (text: string) => void;
  /** Called once, with the first child that exits while the supervisor is not stopping. */
  onUnexpectedExit?: (name: string, exit: Exit) => void;
  /** Colour the prefixes (defaults to whether stdout is a terminal). */
  color?: boolean;
}

const colors = [36, 35, 33, 32, 34, 31];

export function describeExit(exit: Exit): string {
  if (exit.error) return `could not start: ${exit.error.message}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

interface Entry {
  spec: ProcessSpec;
  child: ChildProcess;
  process: SupervisedProcess;
  /** Resolves when its output streams have closed too (all its output has been printed). */
  closed: Promise<void>;
  done: boolean;
  /** Stopped on purpose by stop(): its exit is not a failure. */
  stopping: boolean;
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private readonly write: (text: string) => void;
  private readonly color: boolean;
  private stoppingFlag = false;
  private failed = false;
  private prefixWidth = 8;
  private readonly failure: Promise<never>;
  private rejectFailure!: (error: Error) => void;

  constructor(private readonly options: SupervisorOptions = {}) {
    this.write = options.write ?? ((text) => process.stdout.write(text));
    this.color = options.color ?? Boolean(process.stdout.isTTY);
    this.failure = new Promise<never>((_, reject) => {
      this.rejectFailure = reject;
    });
    // Nobody may be racing against it yet; an unobserved rejection must not crash the process.
    this.failure.catch(() => {});
  }

  get stopping(): boolean {
    return this.stoppingFlag;
  }

  /** Races `work` against an unexpected child exit, so a wait never outlives a dead child. */
  async watch<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.failure]);
  }

  start(spec: ProcessSpec): SupervisedProcess {
    if (this.stoppingFlag) throw new Error(`cannot start ${spec.name}: stopping`);
    this.prefixWidth = Math.max(this.prefixWidth, spec.name.length);
    const child = spawn(spec.command, spec.args ?? [], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      // A new session and process group: the terminal's Ctrl-C reaches the supervisor only, and the
      // whole group (tsx and its node child, say) can be signalled at once.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const listeners: ((line: string) => void)[] = [(line) => this.print(spec.name, line)];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        for (const listener of listeners) listener(line);
      });
    }
    const exited = new Promise<Exit>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const handle: SupervisedProcess = {
      name: spec.name,
      pid: child.pid,
      exited,
      onLine: (listener) => {
        listeners.push(listener);
      },
    };
    const closed = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    const entry: Entry = { spec, child, process: handle, closed, done: false, stopping: false };
    this.entries.push(entry);
    void exited.then((exit) => {
      entry.done = true;
      if (this.stoppingFlag || this.failed || entry.stopping) return;
      this.failed = true;
      this.options.onUnexpectedExit?.(spec.name, exit);
      this.rejectFailure(new ChildExitedError(spec.name, exit));
    });
    return handle;
  }

  /** Stops every child, last started first, each with SIGTERM and then SIGKILL after its grace. */
  async stopAll(): Promise<void> {
    this.stoppingFlag = true;
    for (const entry of [...this.entries].reverse()) {
      await this.stopEntry(entry);
    }
  }

  /** Stops one child as stopAll() would, before the rest; its exit is not reported as unexpected. */
  async stop(handle: SupervisedProcess): Promise<void> {
    const entry = this.entries.find((e) => e.process === handle);
    if (!entry) return;
    entry.stopping = true;
    await this.stopEntry(entry);
  }

  /** Kills every remaining child group at once, synchronously: the last resort on process exit. */
  killAllNow(): void {
    this.stoppingFlag = true;
    for (const entry of this.entries) signalGroup(entry.child, 'SIGKILL');
  }

  /** How many children were started, running or not. */
  get startedCount(): number {
    return this.entries.length;
  }

  /** Process ids of the children still running. */
  running(): { name: string; pid: number | undefined }[] {
    return this.entries.filter((e) => !e.done).map((e) => ({ name: e.spec.name, pid: e.child.pid }));
  }

  private async stopEntry(entry: Entry): Promise<void> {
    if (!entry.done) {
      const grace = entry.spec.stopGraceMs ?? 15_000;
      signalGroup(entry.child, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), grace);
      });
      const result = await Promise.race([entry.process.exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        this.print(entry.spec.name, `did not stop within ${grace} ms; killing it`);
        signalGroup(entry.child, 'SIGKILL');
        await entry.process.exited;
      }
    }
    // Anything the leader left behind in its group (a grandchild that ignored SIGTERM) goes too.
    signalGroup(entry.child, 'SIGKILL');
    // Let its last lines ("worker stopped") reach the screen before the next child is stopped.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([entry.closed, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
  }

  private print(name: string, line: string): void {
    const label = name.padEnd(this.prefixWidth);
    const index = this.entries.findIndex((e) => e.spec.name === name);
    const color = colors[(index < 0 ? this.entries.length : index) % colors.length];
    const prefix = this.color ? `\u001b[${color}m${label} |\u001b[0m` : `${label} |`;
    this.write(`${prefix} ${line}\n`);
  }
}

export class ChildExitedError extends Error {
  constructor(
    readonly processName: string,
    readonly exit: Exit,
  ) {
    super(`${processName} ${describeExit(exit)}`);
    this.name = 'ChildExitedError';
  }
}

/** Signals the process group `child` leads (it was spawned detached); a group already gone is no error. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // A negative pid addresses the process group the child leads (it was spawned detached).
    process.kill(-child.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Resolves with the first line of `handle`'s output matching `pattern`; rejects after `timeoutMs`. */
export function waitForLine(
  handle: SupervisedProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${handle.name} did not print ${pattern} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    handle.onLine((line) => {
      const match = line.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/** The parent pid of `pid`, or undefined when `pid` is gone or a zombie (Linux /proc, else `ps`). */
export function parentOf(pid: number): number | undefined {
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, ...
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return state === 'Z' ? undefined : Number(ppid);
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' });
  const ppid = Number.parseInt(ps.stdout?.trim() ?? '', 10);
  return ps.status === 0 && Number.isFinite(ppid) ? ppid : undefined;
}

/**
 * Calls `onOrphaned` once when one of this process's first `depth` ancestors exits or is re-parented.
 * `kill <pid of npm run dev>` makes npm signal only the shell it runs the script in, and that shell
 * dies without passing the signal on; without this the stack would run on with nobody to stop it.
 */
export function watchAncestors(
  onOrphaned: (why: string) => void,
  options: { depth?: number; intervalMs?: number } = {},
): () => void {
  const chain: { pid: number; parent: number }[] = [];
  let pid = process.pid;
  for (let level = 0; level < (options.depth ?? 3); level += 1) {
    const parent = parentOf(pid);
    if (parent === undefined || parent <= 1) break;
    chain.push({ pid, parent });
    pid = parent;
  }
  const timer = setInterval(() => {
    const broken = chain.find((link) => parentOf(link.pid) !== link.parent);
    if (!broken) return;
    clearInterval(timer);
    onOrphaned(`the process that launched this one (pid ${broken.parent}) is gone`);
  }, options.intervalMs ?? 1000);
  return () => clearInterval(timer);
}
