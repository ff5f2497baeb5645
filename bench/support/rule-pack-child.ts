/**
 * The child processes of bench/rule-packs.ts, so that each figure (compile time, peak memory, scan speed, CPU) is
 * that of a process that did nothing else. Started with `fork` (an IPC channel), run through bench/register.js:
 *
 *   compile <manifest.json> <namespaces|joined> <rules.bin>  compile, serialize to rules.bin, report
 *   scan <rules.bin> <vars|novars>                           deserialize, then scan each file the parent sends
 *
 * It loads nothing but YARA-X (no harness, no database clients), so that its memory is YARA-X's and node's.
 */
import { loadYaraX, type YaraX } from '@sigdesk/detection';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';

export interface PackManifest {
  /** rule files in order, each with its namespace */
  files: { path: string; namespace: string }[];
  /** external variables to define before compiling (name → default) */
  variables: Record<string, string>;
}

export interface CompileReport {
  kind: 'compiled';
  /** VmRSS before the compile (node, the require hook, the binding loaded), in bytes */
  rssBefore: number;
  wallMs: number;
  cpuMs: number;
  /** VmHWM and VmData of this process after the compile, in bytes */
  peakRss: number;
  vmData: number;
  rssAfter: number;
  warnings: number;
  serializeMs: number;
  serializedBytes: number;
}

export interface ScanReady {
  kind: 'ready';
  deserializeMs: number;
  rssAfter: number;
}

export interface FileScanned {
  kind: 'scanned';
  index: number;
  wallMs: number;
  cpuMs: number;
  rules: number;
  error?: string;
}

export interface ScanDone {
  kind: 'done';
  /** from the first file received to the last scanned, this process's CPU (user + system) and wall time */
  cpuMs: number;
  wallMs: number;
  peakRss: number;
}

export type ChildMessage = CompileReport | ScanReady | FileScanned | ScanDone;
/** parent → scan child: the next file, or the end */
export type ScanOrder = { index: number; path: string } | { end: true };

const cpuMs = (since?: NodeJS.CpuUsage) => {
  const use = process.cpuUsage(since);
  return (use.user + use.system) / 1000;
};

function statusBytes(field: 'VmHWM' | 'VmData' | 'VmRSS'): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : NaN;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

function compile(manifestPath: string, mode: string, out: string): void {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackManifest;
  const sources = manifest.files.map((f) => ({ source: readFileSync(f.path, 'utf8'), namespace: f.namespace }));
  const yara = loadYaraX();
  const rssBefore = statusBytes('VmRSS');
  const cpu = process.cpuUsage();
  const started = performance.now();
  let rules: YaraX;
  if (mode === 'namespaces') {
    // the binding's create() has no options: variables first (each definition rebuilds the sources given so far)
    const built = (yara as unknown as { create(): YaraXBuilder }).create();
    for (const [name, value] of Object.entries(manifest.variables)) built.defineVariable(name, value);
    built.addRuleSources(sources);
    rules = built;
  } else if (mode === 'joined') {
    rules = yara.compile(sources.map((s) => s.source).join('\n'), { defineVariables: manifest.variables });
  } else throw new Error(`unknown compile mode ${mode}`);
  const wallMs = performance.now() - started;
  const compileCpu = cpuMs(cpu);
  const peakRss = statusBytes('VmHWM');
  const vmData = statusBytes('VmData');
  const rssAfter = statusBytes('VmRSS');
  const serializeStart = performance.now();
  const blob = rules.serialize();
  const serializeMs = performance.now() - serializeStart;
  writeFileSync(out, blob);
  send({
    kind: 'compiled',
    rssBefore,
    wallMs,
    cpuMs: compileCpu,
    peakRss,
    vmData,
    rssAfter,
    warnings: rules.getWarnings().length,
    serializeMs,
    serializedBytes: blob.length,
  });
}

interface YaraXBuilder extends YaraX {
  defineVariable(name: string, value: string): void;
  addRuleSources(sources: { source: string; namespace?: string }[]): void;
}

function scan(rulesPath: string, withVariables: boolean): void {
  const yara = loadYaraX();
  const blob = readFileSync(rulesPath);
  const started = performance.now();
  const rules = yara.deserialize(blob);
  send({ kind: 'ready', deserializeMs: performance.now() - started, rssAfter: statusBytes('VmRSS') });
  let first: { cpu: NodeJS.CpuUsage; wall: number } | undefined;
  process.on('message', (order: ScanOrder) => {
    if ('end' in order) {
      send({
        kind: 'done',
        cpuMs: first ? cpuMs(first.cpu) : 0,
        wallMs: first ? performance.now() - first.wall : 0,
        peakRss: statusBytes('VmHWM'),
      });
      process.disconnect();
      return;
    }
    first ??= { cpu: process.cpuUsage(), wall: performance.now() };
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const variables = withVariables
      ? { filename: basename(order.path), filepath: order.path, extension: extname(order.path) }
      : undefined;
    try {
      const matches = rules.scanFile(order.path, variables);
      send({
        kind: 'scanned',
        index: order.index,
        wallMs: performance.now() - wall,
        cpuMs: cpuMs(cpu),
        rules: matches.length,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      send({
        kind: 'scanned',
        index: order.index,
        wallMs: performance.now() - wall,
        cpuMs: cpuMs(cpu),
        rules: 0,
        error: message,
      });
    }
  });
}

const [command, ...args] = process.argv.slice(2);
if (command === 'compile') compile(args[0], args[1], args[2]);
else if (command === 'scan') scan(args[0], args[1] === 'vars');
else throw new Error(`rule-pack-child: unknown command ${command}`);
