// Checks the dev stack's process supervisor with ordinary shell processes: output prefixed by name,
// whole process groups stopped (grandchildren included), one child stopped on its own, a stubborn child
// killed after its grace, and a child that dies on its own reported by name.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/binaries';
import { ChildExitedError, type Exit, parentOf, Supervisor, waitForLine } from '../../scripts/lib/processes';

/** Running, as opposed to gone or a zombie waiting for a parent that may never reap it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// Generous bounds: these wait for a condition, and a loaded two-core machine can take seconds to fork.
const startupMs = 15_000;

async function eventually(check: () => boolean, timeoutMs = startupMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Supervisor', () => {
  it('prefixes every line a child writes with its name', async () => {
    const output: string[] = [];
    const supervisor = new Supervisor({ write: (text) => output.push(text), color: false });
    const child = supervisor.start({
      name: 'echoer',
      command: 'sh',
      args: ['-c', 'echo one; echo two >&2; sleep 30'],
    });
    await waitForLine(child, /two/, startupMs);
    await supervisor.stopAll();
    expect(output).toEqual(expect.arrayContaining(['echoer   | one\n', 'echoer   | two\n']));
  });

  it('stops the whole process group, grandchildren included, last started first', async () => {
    const output: string[] = [];
    const supervisor = new Supervisor({ write: (text) => output.push(text), color: false });
    // The grandchild prints its pid; the shell keeps running, as tsx does around its node child.
    const first = supervisor.start({
      name: 'first',
      command: 'sh',
      args: ['-c', 'sleep 30 & echo "grandchild $!"; wait'],
    });
    const second = supervisor.start({
      name: 'second',
      command: 'sh',
      args: ['-c', 'trap "echo bye; exit 0" TERM; echo ready; while :; do sleep 0.05; done'],
    });
    const [, grandchild] = await waitForLine(first, /grandchild (\d+)/, startupMs);
    await waitForLine(second, /ready/, startupMs);
    const order: string[] = [];
    void first.exited.then(() => order.push('first'));
    void second.exited.then(() => order.push('second'));

    await supervisor.stopAll();

    expect(order).toEqual(['second', 'first']);
    await eventually(() => !isAlive(Number(grandchild)));
    expect(supervisor.running()).toEqual([]);
    expect(output).toContain('second   | bye\n');
  });

  it('kills a child that ignores SIGTERM once its grace is over', async () => {
    const supervisor = new Supervisor({ write: () => {}, color: false });
    const stubborn = supervisor.start({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'],
      stopGraceMs: 300,
    });
    await waitForLine(stubborn, /ready/, startupMs);
    const started = Date.now();
    await supervisor.stopAll();
    const exit = await stubborn.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(3000);
    await eventually(() => !isAlive(stubborn.pid ?? 0));
  });

  it('reports the first child that dies on its own, by name, and not the ones it then stops', async () => {
    const reported: { name: string; exit: Exit }[] = [];
    const supervisor = new Supervisor({
      write: () => {},
      color: false,
      onUnexpectedExit: (name, exit) => reported.push({ name, exit }),
    });
    supervisor.start({ name: 'steady', command: 'sleep', args: ['30'] });
    supervisor.start({ name: 'crasher', command: 'sh', args: ['-c', 'sleep 0.2; exit 3'] });

    const error = await supervisor.watch(new Promise<never>(() => {})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChildExitedError);
    expect((error as Error).message).toBe('crasher exited with code 3');
    await supervisor.stopAll();
    expect(reported).toEqual([{ name: 'crasher', exit: { code: 3, signal: null } }]);
  });

  it('stops one child on request, before the rest, without calling its exit a failure', async () => {
    const reported: string[] = [];
    const supervisor = new Supervisor({
      write: () => {},
      color: false,
      onUnexpectedExit: (name) => reported.push(name),
    });
    const server = supervisor.start({ name: 'server', command: 'sleep', args: ['30'] });
    const other = supervisor.start({ name: 'other', command: 'sleep', args: ['30'] });
    await supervisor.stop(server);
    expect(isAlive(server.pid ?? 0)).toBe(false);
    expect(supervisor.running()).toEqual([{ name: 'other', pid: other.pid }]);
    const watched = await supervisor.watch(
      new Promise((resolve) => setTimeout(() => resolve('still watching'), 200)),
    );
    expect(watched).toBe('still watching');
    await supervisor.stopAll();
    expect(reported).toEqual([]);
  });

  it('reports a command that cannot be started at all', async () => {
    const supervisor = new Supervisor({ write: () => {}, color: false });
    supervisor.start({ name: 'ghost', command: '/no/such/program' });
    const error = await supervisor.watch(new Promise<never>(() => {})).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/^ghost could not start: spawn \/no\/such\/program ENOENT/);
    await supervisor.stopAll();
  });
});

describe('watchAncestors', () => {
  it('knows its own parent', () => {
    expect(parentOf(process.pid)).toBe(process.ppid);
    expect(parentOf(2 ** 22 + 12345)).toBeUndefined();
  });

  it('tells a process when the one that launched it is killed, as npm run leaves it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxoffice-ancestors-'));
    const script = join(dir, 'watcher.ts');
    writeFileSync(
      script,
      `import { watchAncestors } from ${JSON.stringify(join(projectRoot, 'scripts/lib/processes.ts'))};
watchAncestors((why) => { console.log('orphaned: ' + why); process.exit(0); }, { intervalMs: 50 });
console.log('watching');
setInterval(() => {}, 1000);
`,
    );
    const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
    // outer shell -> inner shell -> tsx -> node: like npm -> sh -> tsx -> node for `npm run dev`.
    const outer = spawn('sh', ['-c', `sh -c '"${tsx}" "${script}"' & wait`], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    createInterface({ input: outer.stdout }).on('line', (line) => lines.push(line));
    try {
      await eventually(() => lines.includes('watching'), 15_000);
      // Only the outer shell dies, as when npm is killed and its shell goes without passing it on.
      process.kill(outer.pid ?? 0, 'SIGKILL');
      await eventually(() => lines.some((line) => line.startsWith('orphaned: ')), 5000);
      expect(lines.find((line) => line.startsWith('orphaned: '))).toMatch(/launched this one .* is gone/);
    } finally {
      try {
        process.kill(-(outer.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
