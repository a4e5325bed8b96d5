// Checks the order in which the Temporal CLI and stripe-mock are found (env var, PATH, project cache
// under the name `go install` gives the tool, then `go install`) and that a wrong setting fails with a
// sentence that says what to do, using fake executables in temporary folders.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  binCacheDir,
  resolveTool,
  type Tool,
  ToolNotFoundError,
  temporalCli,
} from '../../scripts/lib/binaries';

const savedEnv = { ...process.env };
let root: string;
let tool: Tool;
let cachedCopy: string;

function fakeExecutable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'boxoffice-binaries-'));
  // The cache folder is the project's own; a unique tool name keeps this test out of the real tools' way.
  const name = `boxoffice-fake-tool-${randomUUID().slice(0, 8)}`;
  tool = { name, envVar: 'BOXOFFICE_FAKE_TOOL_PATH', goPackage: 'example.invalid/fake-tool@v0.0.0' };
  cachedCopy = fakeExecutable(binCacheDir, name);
});

afterEach(() => {
  process.env = { ...savedEnv };
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(cachedCopy, { force: true });
});

describe('resolveTool', () => {
  it('takes the executable named by the environment variable over PATH and the cache', () => {
    const explicit = fakeExecutable(join(root, 'explicit'), tool.name);
    const onPath = fakeExecutable(join(root, 'path'), tool.name);
    process.env[tool.envVar] = explicit;
    process.env.PATH = `${join(root, 'path')}:${savedEnv.PATH}`;
    expect(resolveTool(tool)).toBe(explicit);
    expect(onPath).not.toBe(explicit);
  });

  it('takes PATH over the project cache when no variable is set', () => {
    const onPath = fakeExecutable(join(root, 'path'), tool.name);
    delete process.env[tool.envVar];
    process.env.PATH = `${join(root, 'path')}:${savedEnv.PATH}`;
    expect(resolveTool(tool)).toBe(onPath);
  });

  it('falls back to the copy in the project cache', () => {
    delete process.env[tool.envVar];
    process.env.PATH = join(root, 'empty');
    expect(resolveTool(tool)).toBe(cachedCopy);
  });

  it('finds a tool in the cache under the name go install gives it, never that name on PATH', () => {
    // The Temporal server installs as `server`: a `server` on PATH may be anything.
    const installed: Tool = { ...tool, name: `${tool.name}-named`, installedAs: tool.name };
    fakeExecutable(join(root, 'generic'), tool.name);
    delete process.env[installed.envVar];
    process.env.PATH = join(root, 'generic');
    expect(resolveTool(installed)).toBe(cachedCopy);
  });

  it('names TEMPORAL_CLI_PATH when it points at nothing', () => {
    process.env.TEMPORAL_CLI_PATH = join(root, 'no', 'such', 'temporal');
    expect(() => resolveTool(temporalCli)).toThrow(ToolNotFoundError);
    expect(() => resolveTool(temporalCli)).toThrow(
      `TEMPORAL_CLI_PATH=${join(root, 'no', 'such', 'temporal')} is not an executable file`,
    );
  });

  it('refuses a TEMPORAL_CLI_PATH that is a file but not executable', () => {
    const plain = join(root, 'plain-temporal');
    writeFileSync(plain, 'not a program');
    process.env.TEMPORAL_CLI_PATH = plain;
    expect(() => resolveTool(temporalCli)).toThrow(/^TEMPORAL_CLI_PATH=.* is not an executable file$/);
  });

  it('says how to get the tool when it is nowhere and cannot be built', () => {
    const missing: Tool = { ...tool, name: `${tool.name}-missing` };
    delete process.env[missing.envVar];
    process.env.PATH = join(root, 'empty');
    // No module lookup leaves the machine: the build fails at once, as it would offline.
    process.env.GOPROXY = 'off';
    let error: unknown;
    try {
      resolveTool(missing);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ToolNotFoundError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    // With Go installed the build is tried and fails; without it the message says to install Go.
    expect(message).toMatch(
      new RegExp(
        `^(could not build ${missing.name}: 'go install ${missing.goPackage}' exited \\d+; set ${missing.envVar} to an existing binary instead|${missing.name} not found: set ${missing.envVar}, put it on PATH, or install Go)`,
      ),
    );
  });
});
