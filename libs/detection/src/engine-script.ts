/**
 * The rule engine's process: plain JavaScript run with `node -e`, so that it runs the same under jest, the swc
 * require hook of the benchmarks and the tsc build, none of which transpile or copy a child's own file.
 *
 * It may be started ahead of its rules (a spare of an EnginePool): `load` requires YARA-X then, so that only the
 * build is left when the rules come. It builds the rules once, from one text or from units each in a namespace of
 * its own (compile first; on failure validate lists every error, where compile stops at the first), or opens rules
 * compiled before (`open`: a file of `serialize()`d rules, whose SHA-256 is checked first, since YARA-X takes
 * altered bytes without a word), and keeps them. A build may save the compiled rules to a file (`saveTo`) for
 * others to open.
 *
 * Scans run with `scanAsync`/`scanFileAsync`, on libuv's thread pool (UV_THREADPOOL_SIZE, set by the parent): up to
 * that many at once over the one compiled copy, each with YARA-X's own time limit (`setTimeout`) so that a scan past
 * it ends alone (`timed-out`) and the others go on. Only the small evidence goes back. A buffer comes in slices
 * (`chunk` messages, with its scan's id) after its `scan-buffer`.
 *
 * The processor time of one scan among several cannot be read on its own: each result carries its share of the
 * process's processor time over the scan (its wall time, scaled by the process's use of the cores it ran on
 * against the scans that ran then), so that the shares of a pass add up to the process's time.
 *
 * A child busy in a native call reads no message, so it would not see its parent go away for as long as the call
 * runs (a hostile loop runs for hours): a watchdog thread checks the parent every half second and kills the process
 * when it is orphaned. An idle child leaves on the channel's `disconnect`.
 */
/**
 * The watchdog of a child that runs YARA-X (the engine, the profiler): a thread that kills the process once its
 * parent is gone, since the main thread may be in a native call for hours.
 */
export const PARENT_WATCHDOG = `
new (require('node:worker_threads').Worker)(
  "const { workerData } = require('node:worker_threads');" +
    "setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 500);",
  { eval: true, workerData: process.ppid, execArgv: [] },
).unref();
`;

export const ENGINE_SCRIPT = `
'use strict';
process.title = 'sigdesk-yara-engine';
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync, renameSync } = require('node:fs');
${PARENT_WATCHDOG}
let yarax;
let rules;
const incoming = new Map();
const text = (error) => String((error && error.message) || error);
const report = ({ code, message, unit }) => (unit === undefined ? { code, message } : { code, message, unit });
const cpuNow = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

// the processor time shared by the scans running: accrued to each in proportion to the wall time it ran
const running = new Set();
let lastCpu = cpuNow();
function accrue() {
  const cpu = cpuNow();
  if (running.size > 0) {
    const share = (cpu - lastCpu) / running.size;
    for (const scan of running) scan.cpuMillis += share;
  }
  lastCpu = cpu;
}

function scan(id, run) {
  accrue();
  const current = { cpuMillis: 0 };
  running.add(current);
  const started = performance.now();
  let pending;
  try {
    pending = run();
  } catch (error) {
    pending = Promise.reject(error);
  }
  pending.then(
    (found) => {
      accrue();
      running.delete(current);
      const matches = found.map((rule) => ({
        rule: rule.ruleIdentifier,
        ...(rule.namespace === 'default' ? {} : { namespace: rule.namespace }),
        tags: rule.tags,
        meta: rule.meta,
        patterns: rule.matches.map((m) => ({ identifier: m.identifier, offset: m.offset, length: m.length })),
      }));
      const millis = performance.now() - started;
      process.send({ type: 'result', id, matches, millis, cpuMillis: current.cpuMillis });
    },
    (error) => {
      accrue();
      running.delete(current);
      const message = text(error);
      process.send({ type: /timed out/i.test(message) ? 'timed-out' : 'error', id, message });
    },
  );
}

function configure(message) {
  rules.setMaxMatchesPerPattern(message.maxMatchesPerPattern);
}

// the binding reads a string that looks like a boolean or an integer ("true", "123") as one, which YARA-X then
// refuses for a string variable and fails the scan: such a value is left out (the variable keeps its empty default)
const MISREAD = /^(true|false|[+-]?[0-9]+)$/i;
function usable(variables) {
  if (!variables) return variables;
  const kept = {};
  for (const [name, value] of Object.entries(variables)) {
    if (!(typeof value === 'string' && MISREAD.test(value))) kept[name] = value;
  }
  return kept;
}

// Units built together by addRuleSources: its warnings, and the one error it stops at, give a unit's own line but
// not the unit. On failure each unit is validated alone, every error of every unit listed. Validate costs about as
// much as the build (1.4 to 1.6 times it, measured on 10 units of 1,000 rules with regular expressions and hex
// strings), too much to spend on every build for its warnings: see placeWarnings.
function validateUnits(units, compilerOptions) {
  const errors = [];
  const warnings = [];
  units.forEach((unit, index) => {
    const found = yarax.validate(unit.source, { ...compilerOptions, namespace: unit.namespace });
    for (const error of found.errors) errors.push({ code: error.code, message: error.message, unit: index });
    for (const warning of found.warnings) warnings.push({ code: warning.code, message: warning.message, unit: index });
  });
  return { errors, warnings };
}

// The warnings of units built together, each placed in its unit. The compiler reports them unit after unit, each
// with its unit's line numbers and the text of those lines: a warning goes to the first unit (from the previous
// warning's on) whose lines hold its text. When a warning fits no unit, or fits more than one in that order (the
// same text on the same lines of two units: the latest placement differs from the earliest), the units are
// validated one by one instead, which says which unit each warning is of.
function placeWarnings(units, warnings, compilerOptions) {
  const unitLines = [];
  const snippets = warnings.map(snippetOf);
  const fits = (i, u) => {
    const snippet = snippets[i];
    if (snippet.length === 0) return false;
    const lines = unitLines[u] || (unitLines[u] = units[u].source.split('\\n'));
    return snippet.every(({ line, pieces }) => {
      const shown = lines[line - 1];
      if (shown === undefined) return false;
      const bare = shown.replace(/\\s+/g, '');
      return pieces.every((piece) => bare.includes(piece));
    });
  };
  const earliest = [];
  let at = 0;
  for (let i = 0; i < warnings.length; i++) {
    while (at < units.length && !fits(i, at)) at++;
    if (at === units.length) return validateUnits(units, compilerOptions).warnings;
    earliest.push(at);
  }
  at = units.length - 1;
  for (let i = warnings.length - 1; i >= 0; i--) {
    while (at >= 0 && !fits(i, at)) at--;
    if (at !== earliest[i]) return validateUnits(units, compilerOptions).warnings;
  }
  return warnings.map((warning, i) => ({ code: warning.code, message: warning.message, unit: earliest[i] }));
}

// The numbered lines of a report ("12 |   $h = { 01 }"), their text without white space (the report shows tabs as
// spaces, and trims) and cut where the report elides ("...").
function snippetOf(warning) {
  const found = [];
  for (const line of String(warning.message).split('\\n')) {
    const numbered = /^\\s*(\\d+) \\|(.*)$/.exec(line);
    if (!numbered) continue;
    const pieces = numbered[2].replace(/\\s+/g, '').split('...').filter((piece) => piece.length > 0);
    found.push({ line: Number(numbered[1]), pieces });
  }
  return found;
}

// YARA-X's time limit belongs to the compiled rules, not to one scan: set when a scan asks for another one
let timeLimit;
function limitTime(timeoutMs) {
  if (timeoutMs === undefined || timeoutMs === timeLimit) return;
  rules.setTimeout(timeoutMs);
  timeLimit = timeoutMs;
}

process.on('message', (message) => {
  switch (message.type) {
    case 'load':
      yarax = require(message.yaraPath);
      break;
    case 'build': {
      yarax = require(message.yaraPath);
      const started = performance.now();
      const units = Array.isArray(message.source) ? message.source : undefined;
      try {
        if (units) {
          rules = yarax.compile('', message.compilerOptions);
          rules.addRuleSources(units);
        } else {
          rules = yarax.compile(message.source, message.compilerOptions);
        }
        configure(message);
        const warnings = units
          ? placeWarnings(units, rules.getWarnings(), message.compilerOptions)
          : rules.getWarnings().map(report);
        const millis = performance.now() - started;
        let saved;
        if (message.saveTo) {
          const savingStarted = performance.now();
          const bytes = rules.serialize();
          writeFileSync(message.saveTo + '.partial', bytes);
          renameSync(message.saveTo + '.partial', message.saveTo);
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          saved = { path: message.saveTo, sha256, bytes: bytes.length, millis: performance.now() - savingStarted };
        }
        process.send({ type: 'built', millis, warnings, saved });
      } catch (error) {
        const found = units
          ? validateUnits(units, message.compilerOptions)
          : yarax.validate(message.source, message.compilerOptions);
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
    case 'open': {
      yarax = require(message.yaraPath);
      const started = performance.now();
      let bytes;
      try {
        bytes = readFileSync(message.path);
      } catch (error) {
        process.send({ type: 'unusable', reason: 'the compiled rules could not be read: ' + text(error) });
        break;
      }
      if (createHash('sha256').update(bytes).digest('hex') !== message.sha256) {
        process.send({ type: 'unusable', reason: 'the compiled rules do not match their SHA-256' });
        break;
      }
      try {
        rules = yarax.deserialize(bytes);
        configure(message);
      } catch (error) {
        process.send({ type: 'unusable', reason: 'YARA-X could not open the compiled rules: ' + text(error) });
        break;
      }
      process.send({ type: 'built', millis: performance.now() - started, warnings: [] });
      break;
    }
    case 'scan-file':
      limitTime(message.timeoutMs);
      scan(message.id, () => rules.scanFileAsync(message.path, usable(message.variables)));
      break;
    case 'scan-buffer':
      incoming.set(message.id, {
        data: Buffer.allocUnsafe(message.bytes),
        filled: 0,
        variables: message.variables,
        timeoutMs: message.timeoutMs,
      });
      break;
    case 'chunk': {
      const into = incoming.get(message.id);
      if (!into) break;
      into.data.set(message.data, into.filled);
      into.filled += message.data.byteLength;
      break;
    }
  }
  if (message.type === 'scan-buffer' || message.type === 'chunk') {
    const into = incoming.get(message.id);
    if (into && into.filled === into.data.byteLength) {
      incoming.delete(message.id);
      limitTime(into.timeoutMs);
      scan(message.id, () => rules.scanAsync(into.data, usable(into.variables)));
    }
  }
});
process.on('disconnect', () => process.exit(0));
`;
