/**
 * The rule engine's process: plain JavaScript run with `node -e`, so that it runs the same under jest, the swc
 * require hook of the benchmarks and the tsc build, none of which transpile or copy a child's own file.
 *
 * It may be started ahead of its rules (a spare of an EnginePool): `load` requires YARA-X then, so that only the
 * build is left when the rules come. It builds the rules once (compile first: on success its warnings are
 * validate's; on failure validate lists every error, where compile stops at the first), keeps them, and scans one input at a time with the synchronous
 * `scan`/`scanFile`, which honour `setMaxMatchesPerPattern`. Only the small evidence goes back. A buffer comes in slices (`chunk` messages) after its `scan-buffer`.
 *
 * A child busy in a native call reads no message, so it would not see its parent go away for as long as the call
 * runs (a hostile loop runs for hours): a watchdog thread checks the parent every half second and kills the process
 * when it is orphaned. An idle child leaves on the channel's `disconnect`.
 */
export const ENGINE_SCRIPT = `
'use strict';
process.title = 'sigdesk-yara-engine';
const { Worker } = require('node:worker_threads');
new Worker(
  "const { workerData } = require('node:worker_threads');" +
    "setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 500);",
  { eval: true, workerData: process.ppid, execArgv: [] },
).unref();

let yarax;
let rules;
let incoming;
const text = (error) => String((error && error.message) || error);
const report = ({ code, message }) => ({ code, message });

function scan(id, run) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    const matches = run().map((rule) => ({
      rule: rule.ruleIdentifier,
      tags: rule.tags,
      meta: rule.meta,
      patterns: rule.matches.map((m) => ({ identifier: m.identifier, offset: m.offset, length: m.length })),
    }));
    const used = process.cpuUsage(cpu);
    const cpuMillis = (used.user + used.system) / 1000;
    process.send({ type: 'result', id, matches, millis: performance.now() - started, cpuMillis });
  } catch (error) {
    process.send({ type: 'error', id, message: text(error) });
  }
}

process.on('message', (message) => {
  switch (message.type) {
    case 'load':
      yarax = require(message.yaraPath);
      break;
    case 'build': {
      yarax = require(message.yaraPath);
      const started = performance.now();
      try {
        rules = yarax.compile(message.source, message.compilerOptions);
        rules.setMaxMatchesPerPattern(message.maxMatchesPerPattern);
        const warnings = rules.getWarnings().map(report);
        process.send({ type: 'built', millis: performance.now() - started, warnings });
      } catch (error) {
        const found = yarax.validate(message.source, message.compilerOptions);
        process.send({
          type: 'rejected',
          millis: performance.now() - started,
          errors: found.errors.map(report),
          warnings: found.warnings.map(report),
          failure: text(error),
        });
      }
      break;
    }
    case 'scan-file':
      scan(message.id, () => rules.scanFile(message.path));
      break;
    case 'scan-buffer':
      incoming = { id: message.id, data: Buffer.allocUnsafe(message.bytes), filled: 0 };
      break;
    case 'chunk':
      incoming.data.set(message.data, incoming.filled);
      incoming.filled += message.data.byteLength;
      break;
  }
  if (incoming && incoming.filled === incoming.data.byteLength) {
    const { id, data } = incoming;
    incoming = undefined;
    scan(id, () => rules.scan(data));
  }
});
process.on('disconnect', () => process.exit(0));
`;
