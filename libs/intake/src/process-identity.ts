import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who made something a crash can leave behind (a spool folder, an upload claim): a machine (or container) by a
 * hash of its host name, a process by its pid, and a run of that pid, since a container restarted runs its process
 * as pid 1 again. It lets a process tell at once that another of its own machine is gone, and what it made with it.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  run: string;
}

export const THIS_PROCESS: ProcessIdentity = {
  host: createHash('sha256').update(hostname()).digest('hex').slice(0, 8),
  pid: process.pid,
  run: randomBytes(4).toString('hex'),
};

/** `<host>-<pid>-<run>`: how an identity is written in a name or a column. */
export function formatProcessIdentity(identity: ProcessIdentity): string {
  return `${identity.host}-${identity.pid}-${identity.run}`;
}

const IDENTITY = /^([0-9a-f]{8})-(\d{1,10})-([0-9a-f]{8})$/;

export function parseProcessIdentity(text: string): ProcessIdentity | null {
  const match = IDENTITY.exec(text);
  return match ? { host: match[1], pid: Number(match[2]), run: match[3] } : null;
}

/** Whether a process with this pid runs on this machine (one of another user counts: it cannot be signalled). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `maker` is known to be gone, seen from `self`: a process of this machine that no longer runs, or an
 * earlier run of `self`'s pid. Another machine's processes, and running pids, are not known to be gone.
 */
export function isKnownGone(
  maker: ProcessIdentity,
  self: ProcessIdentity = THIS_PROCESS,
  running: (pid: number) => boolean = isRunning,
): boolean {
  if (maker.host !== self.host) return false;
  if (maker.pid === self.pid) return maker.run !== self.run;
  return !running(maker.pid);
}
