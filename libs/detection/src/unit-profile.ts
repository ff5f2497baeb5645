import { spawn } from 'node:child_process';
import { COMPILER_OPTIONS, DEFAULT_ENGINE_MEMORY_BYTES, scanVariables } from './compiled-ruleset';
import { PRLIMIT, type ScanVariables, type SourceUnit } from './engine-process';
import { PARENT_WATCHDOG } from './engine-script';
import { YARA_X_PATH } from './yara-x';

/** What scanning the sample with one unit's rules alone cost, or why it could not be measured. */
export type UnitProfile =
  | { index: number; cpuMillis: number }
  | { index: number; error: 'timeout' | 'does_not_compile' | 'crashed'; detail: string };

export interface ProfileOptions {
  /** each file's scan, with one unit's rules (YARA-X's own limit, in whole seconds) */
  scanTimeoutMs: number;
  memoryLimitBytes?: number;
  onUnit?: (profile: UnitProfile) => void;
}

/**
 * The profiling pass: each unit (a pack file, in its namespace) compiled alone and the sample files scanned with it,
 * one unit after another in one child process, for each unit's processor time. One process for all units: a process
 * of its own for each (an engine, see engine-process.ts) costs about a second to start and load YARA-X, which for a
 * pack of thousands of files is most of the time.
 *
 * The units have passed compileRuleset's checks (structure limits) before: this reads them as the engine does, in a
 * process with an empty environment, a data limit, and a watchdog that ends it when this process goes. A unit the
 * process dies on is reported `crashed` and the pass goes on with the next unit in a fresh process; a file that
 * takes longer than its limit makes the unit `timeout`.
 */
export async function profileUnits(
  units: readonly SourceUnit[],
  files: ReadonlyArray<{ path: string; name?: string | null; type?: string | null }>,
  options: ProfileOptions,
): Promise<UnitProfile[]> {
  const results: UnitProfile[] = [];
  const sample = files.map((f) => ({ path: f.path, variables: scanVariables(f) }));
  let next = 0;
  while (next < units.length) {
    const from = next;
    const done = await runProfiler(units.slice(from), sample, options, (profile) => {
      const found = { ...profile, index: profile.index + from };
      results.push(found);
      options.onUnit?.(found);
      next = found.index + 1;
    });
    if (!done.ok) {
      // the process died on the unit after the last one reported: that unit is the culprit, the rest go on
      const found: UnitProfile = { index: next, error: 'crashed', detail: done.detail };
      results.push(found);
      options.onUnit?.(found);
      next += 1;
    }
  }
  return results;
}

function runProfiler(
  units: readonly SourceUnit[],
  sample: Array<{ path: string; variables: ScanVariables }>,
  options: ProfileOptions,
  onUnit: (profile: UnitProfile) => void,
): Promise<{ ok: true } | { ok: false; detail: string }> {
  const limit = options.memoryLimitBytes ?? DEFAULT_ENGINE_MEMORY_BYTES;
  const [command, ...args] = PRLIMIT
    ? [PRLIMIT, `--data=${limit}:${limit}`, '--', process.execPath, '-e', PROFILE_SCRIPT]
    : [process.execPath, '-e', PROFILE_SCRIPT];
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: {} });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
  // a unit whose files all run to their limit, plus a margin: past that the process is stuck in a native call
  const seconds = Math.max(1, Math.ceil(options.scanTimeoutMs / 1000));
  const unitBudgetMs = (seconds * 1000 + 2_000) * Math.max(1, sample.length) + 30_000;
  let timer: NodeJS.Timeout | undefined;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => child.kill('SIGKILL'), unitBudgetMs);
  };
  return new Promise((resolve) => {
    let finished = false;
    child.on(
      'message',
      (message: { type: string; index: number; cpuMillis?: number; error?: string; detail?: string }) => {
        if (message.type === 'done') {
          finished = true;
          child.kill('SIGKILL');
          return;
        }
        watch();
        onUnit(
          message.error
            ? {
                index: message.index,
                error: message.error as 'timeout' | 'does_not_compile',
                detail: message.detail ?? '',
              }
            : { index: message.index, cpuMillis: message.cpuMillis ?? 0 },
        );
      },
    );
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (finished) resolve({ ok: true });
      else
        resolve({
          ok: false,
          detail: `the profiler ended (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`,
        });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `the profiler could not be run: ${error.message}` });
    });
    watch();
    child.send({ yaraPath: YARA_X_PATH, compilerOptions: COMPILER_OPTIONS, units, sample, seconds });
  });
}

/** The profiler's process: plain JavaScript run with `node -e`, as the engine's (engine-script.ts). */
const PROFILE_SCRIPT = `
'use strict';
process.title = 'sigdesk-yara-profiler';
${PARENT_WATCHDOG}const cpuNow = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
// as the engine: a string that looks like a boolean or a number is misread by the binding, and left out
const MISREAD = /^(true|false|[+-]?[0-9]+)$/i;
const usable = (variables) =>
  Object.fromEntries(Object.entries(variables).filter(([, v]) => !(typeof v === 'string' && MISREAD.test(v))));
process.once('message', ({ yaraPath, compilerOptions, units, sample, seconds }) => {
  const yarax = require(yaraPath);
  units.forEach((unit, index) => {
    let rules;
    try {
      rules = yarax.compile('', compilerOptions);
      rules.addRuleSources([unit]);
      rules.setTimeout(seconds);
    } catch (error) {
      process.send({ type: 'unit', index, error: 'does_not_compile', detail: String((error && error.message) || error) });
      return;
    }
    const started = cpuNow();
    for (const file of sample) {
      try {
        rules.scanFile(file.path, usable(file.variables));
      } catch (error) {
        const message = String((error && error.message) || error);
        if (/timed out/i.test(message)) {
          process.send({ type: 'unit', index, error: 'timeout', detail: file.path });
          return;
        }
      }
    }
    process.send({ type: 'unit', index, cpuMillis: cpuNow() - started });
  });
  process.send({ type: 'done' }, () => process.exit(0));
});
`;
