// Owns the chaos run's restartable child processes: each runs in its own process group with its output in
// a log file of the run, can be killed with any signal and started again on the same command line, and
// an exit nobody asked for is counted (and, for the worker and the API, answered with a restart).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { signalGroup } from '../../scripts/lib/processes';
import { sleep } from '../lib/load';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Folder of the run's logs: the output goes to `<name>.log` there. */
  logDir: string;
  /** Resolves once the process serves; rejects (or times out) when it does not. */
  ready: () => Promise<void>;
  /** Start it again after an exit nobody asked for (the worker and the API). */
  restartOnCrash?: boolean;
  log: (line: string) => void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One child process that the chaos run starts, kills and starts again. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private expectingExit = false;
  private stopped = false;
  /** While start() waits for readiness, an exit fails that start instead of counting as a crash. */
  private starting = false;
  private readonly output: WriteStream;
  /** Exits nobody asked for, with how they ended. */
  readonly crashes: { at: number; exit: Exit }[] = [];
  starts = 0;

  constructor(private readonly spec: ProcessSpec) {
    this.output = createWriteStream(join(spec.logDir, `${spec.name}.log`), { flags: 'a' });
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and waits until it is ready. */
  async start(): Promise<void> {
    this.expectingExit = false;
    this.starts += 1;
    this.output.write(`--- start ${this.starts} at ${new Date().toISOString()} ---\n`);
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
      // Its own process group: tsx and its node child (or the server and its helpers) go together.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream?.pipe(this.output, { end: false });
      // The last of its output, for the error when it dies before it is ready.
      stream?.on('data', (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-2000);
      });
    }
    this.child = child;
    this.exited = new Promise<Exit>((resolve) => {
      child.once('error', () => resolve({ code: null, signal: null }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    void this.exited.then((exit) => this.onExit(child, exit));
    const died = this.exited.then(async (exit) => {
      await sleep(200); // its last lines may still be in the pipes
      throw new Error(`${this.spec.name} exited while starting (${JSON.stringify(exit)}):\n${tail.trim()}`);
    });
    died.catch(() => {});
    this.starting = true;
    try {
      await Promise.race([this.spec.ready(), died]);
    } finally {
      this.starting = false;
    }
  }

  /** Sends `signal` to the whole group and waits for the exit (SIGKILL after `graceMs`). */
  async kill(signal: NodeJS.Signals, graceMs = 15_000): Promise<Exit> {
    const child = this.child;
    if (!child || !this.running) return this.exited;
    this.expectingExit = true;
    signalGroup(child, signal);
    const timedOut = sleep(graceMs).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited, timedOut])) === 'timeout') signalGroup(child, 'SIGKILL');
    const exit = await this.exited;
    // Whatever the leader left in its group goes too.
    signalGroup(child, 'SIGKILL');
    return exit;
  }

  /** Stops it for good: no restart after this. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    await this.kill('SIGTERM', graceMs);
    this.output.end();
  }

  /** Last resort on process exit: synchronous. */
  killNow(): void {
    this.stopped = true;
    if (this.child) signalGroup(this.child, 'SIGKILL');
  }

  private onExit(child: ChildProcess, exit: Exit): void {
    if (child !== this.child || this.expectingExit || this.stopped || this.starting) return;
    this.crashes.push({ at: Date.now(), exit });
    this.spec.log(`${this.spec.name} exited on its own (${JSON.stringify(exit)}); see its log`);
    if (!this.spec.restartOnCrash) return;
    // Bounded: a process that keeps dying is restarted a few times, then left down (and reported).
    if (this.crashes.length > 5) return;
    void sleep(1000)
      .then(() => (this.stopped ? undefined : this.start()))
      .catch((error: unknown) => this.spec.log(`${this.spec.name} restart failed: ${String(error)}`));
  }
}

/** Calls `attempt` until it resolves truthy, every `everyMs`; fails with the last error after `timeoutMs`. */
export async function until(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<boolean>,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await attempt()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`${what} not within ${timeoutMs / 1000} s${lastError ? `: ${String(lastError)}` : ''}`);
}
