/**
 * A corpus of this machine's real files, the kind a clean-file corpus holds: ELF programs and shared libraries
 * (`/usr/bin`, `/usr/lib/x86_64-linux-gnu`, the rest of `/usr/lib`) and JavaScript (`.js` of this repository's
 * node_modules). Deterministic for a machine: each source is walked in path order (regular files only, no symbolic
 * links, nothing over 64 MiB, nothing empty) and the sources are drawn from in turn, each up to its share of the
 * size, so that a smaller corpus keeps the same mixture.
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { MiB, ROOT } from './harness';

export interface CorpusFile {
  path: string;
  size: number;
}

export interface SystemCorpus {
  files: CorpusFile[];
  bytes: number;
  /** bytes taken from each source */
  sources: { name: string; files: number; bytes: number }[];
}

const MAX_FILE = 64 * MiB;
/**
 * Scripts of at least 32 KiB: libraries and bundles, as a clean corpus of web content holds them. The thousands of
 * small modules of node_modules would measure YARA-X's cost per file (milliseconds at 18,000 rules, before reading a
 * byte) rather than its speed over content.
 */
const MIN_SCRIPT = 32 * 1024;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

interface Source {
  name: string;
  root: string;
  /** share of the corpus */
  share: number;
  accept: (path: string, size: number) => boolean;
  skip?: (dir: string) => boolean;
}

function isElf(path: string): boolean {
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(ELF_MAGIC);
  } catch {
    return false; // unreadable: not part of the corpus
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const GNU_LIBS = '/usr/lib/x86_64-linux-gnu';

const SOURCES: Source[] = [
  { name: '/usr/bin (ELF)', root: '/usr/bin', share: 0.3, accept: isElf },
  { name: `${GNU_LIBS} (ELF)`, root: GNU_LIBS, share: 0.35, accept: isElf },
  { name: '/usr/lib, the rest (ELF)', root: '/usr/lib', share: 0.25, accept: isElf, skip: (dir) => dir === GNU_LIBS },
  {
    name: 'node_modules (.js)',
    root: join(ROOT, 'node_modules'),
    share: 0.1,
    accept: (path, size) => path.endsWith('.js') && size >= MIN_SCRIPT,
  },
];

/** Regular files under `root` in path order (code-unit order of the full path), lazily. */
function* walk(root: string, skip?: (dir: string) => boolean): Generator<CorpusFile> {
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(root, entry);
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      continue;
    }
    if (stat.isDirectory()) {
      if (!skip?.(path)) yield* walk(path, skip);
    } else if (stat.isFile() && stat.size > 0 && stat.size <= MAX_FILE) yield { path, size: stat.size };
  }
}

/** About `bytes` of real files (stops at the first file that reaches the size), sorted by path. */
export function systemCorpus(bytes: number): SystemCorpus {
  const walkers = SOURCES.map((source) => ({ source, files: walk(source.root, source.skip), done: false }));
  const taken = SOURCES.map(() => ({ files: 0, bytes: 0 }));
  const files: CorpusFile[] = [];
  let total = 0;
  while (total < bytes) {
    // the source furthest below its share gives the next file
    let next = -1;
    for (let i = 0; i < walkers.length; i++) {
      if (walkers[i].done) continue;
      if (next < 0 || taken[i].bytes / SOURCES[i].share < taken[next].bytes / SOURCES[next].share) next = i;
    }
    if (next < 0) break; // every source exhausted
    const walker = walkers[next];
    let file: CorpusFile | undefined;
    for (let item = walker.files.next(); !item.done; item = walker.files.next()) {
      if (walker.source.accept(item.value.path, item.value.size)) {
        file = item.value;
        break;
      }
    }
    if (!file) {
      walker.done = true;
      continue;
    }
    files.push(file);
    taken[next].files++;
    taken[next].bytes += file.size;
    total += file.size;
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, bytes: total, sources: SOURCES.map((s, i) => ({ name: s.name, ...taken[i] })) };
}
