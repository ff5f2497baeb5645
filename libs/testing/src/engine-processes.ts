import { readdirSync, readFileSync } from 'node:fs';

/** Running, as opposed to gone or a zombie nobody has reaped yet. */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The YARA-X engine processes (libs/detection's engine-process.ts) that are children of this process and running:
 * those of a sigdesk started in it (startTestEnvironment), or of the rulesets and engine pools a test made.
 */
export function engineProcesses(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // the engine's script is on its command line, from prlimit's start to node's end
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (Number(parent) === process.pid && state !== 'Z' && commandLine.includes('sigdesk-yara-engine')) {
        found.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}
