// Owns running stripe-mock (Stripe's API shape, stateless) as a child process on a loopback port.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolveTool, stripeMock } from './binaries';

export interface RunningStripeMock {
  url: string;
  stop(): Promise<void>;
}

export async function startStripeMock(
  options: { port?: number; log?: (line: string) => void } = {},
): Promise<RunningStripeMock> {
  const executable = resolveTool(stripeMock, options.log);
  const child = spawn(
    executable,
    ['-http-addr', `127.0.0.1:${options.port ?? ''}`, '-https-addr', '127.0.0.1:'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/Listening for HTTP at address: ([\d.]+:\d+)/);
      if (match) resolve(`http://${match[1]}`);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`stripe-mock exited with ${code} before listening: ${output.trim()}`)),
    );
    child.once('error', reject);
  });
  // Whatever ends this process (a forced exit included) must not leave stripe-mock holding its port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    url,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
