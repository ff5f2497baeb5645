import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledRuleset, scanVariables, type RulesetOptions, type ScanResult } from './compiled-ruleset';
import { compileRuleset, openRuleset, type RuleSource } from './ruleset';
import { ScanEngineError, ScanTimeoutError } from './scan-errors';

const EICAR = String.raw`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`;
const yaraString = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const EICAR_RULE: RuleSource = {
  name: 'eicar.yar',
  source: `rule EICAR_Test_File : test av {
  meta:
    description = "EICAR anti-virus test file"
    score = 100
  strings:
    $eicar = ${yaraString(EICAR)}
    $tail = "EICAR-STANDARD"
  condition:
    $eicar and $tail
}`,
};

/** Hex patterns and a regular expression whose short atoms hit every `step` bytes of `slowData` but never match. */
const SLOW_RULES: RuleSource[] = Array.from({ length: 4 }, (_, i) => ({
  name: `slow-${i}.yar`,
  source: `rule Slow_${i} { strings: $h = { 41 42 43 44 [0-8] 5${i} 5${i + 3} } $r = /EFGH[A-Z]{2,6}${i}Q/ condition: any of them }`,
}));

/** Three nested loops over the bytes: 2^48 rounds on 64 KiB of zeros, which never satisfy it. */
const LOOP_RULE: RuleSource = {
  name: 'loop.yar',
  source: `rule Loop {
  condition:
    for any i in (0..filesize) : (for any j in (0..filesize) : (for any k in (0..filesize) : (
      uint8(i) == uint8(j) + uint8(k) + 1)))
}`,
};
/** Satisfies LOOP_RULE at once: 1 == 0 + 0 + 1. */
const LOOP_MATCH = Buffer.from([1, 0]);

/** Whether a process of that id exists (a zombie counts: it has not been reaped). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function slowData(bytes: number, step: number): Buffer {
  const data = Buffer.alloc(bytes);
  const unit = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345');
  for (let offset = 0; offset < bytes; offset += step) unit.copy(data, offset);
  return data;
}

/** Runs `work` while a 10 ms interval ticks; the longest time the event loop went without ticking. */
async function longestEventLoopGap<T>(work: () => Promise<T>): Promise<{ value: T; gapMs: number; wallMs: number }> {
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  const started = performance.now();
  try {
    const value = await work();
    const now = performance.now();
    return { value, gapMs: Math.max(longest, now - last), wallMs: now - started };
  } finally {
    clearInterval(ticker);
  }
}

describe(CompiledRuleset.name, () => {
  const rulesets: CompiledRuleset[] = [];
  const build = async (sources: RuleSource[], options?: RulesetOptions): Promise<CompiledRuleset> => {
    const outcome = await compileRuleset(sources, options);
    if (!outcome.ruleset) throw new Error(`does not compile: ${JSON.stringify(outcome.errors)}`);
    rulesets.push(outcome.ruleset);
    return outcome.ruleset;
  };
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigdesk-detection-'));
  });

  afterAll(async () => {
    await Promise.all(rulesets.map((r) => r.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('detects the EICAR test string with its rule, tags, meta and the offset of each pattern', async () => {
    const sut = await build([EICAR_RULE]);
    const data = Buffer.concat([Buffer.alloc(1000, 0x20), Buffer.from(EICAR), Buffer.from('\r\n')]);

    const result = await sut.scanBuffer(data);

    expect(result.matches).toEqual([
      {
        rule: 'EICAR_Test_File',
        tags: ['test', 'av'],
        meta: { description: 'EICAR anti-virus test file', score: 100 },
        patterns: [
          { identifier: '$eicar', offset: 1000, length: EICAR.length },
          { identifier: '$tail', offset: 1000 + EICAR.indexOf('EICAR-STANDARD'), length: 14 },
        ],
      },
    ]);
    expect(result.millis).toBeGreaterThanOrEqual(0);
  });

  it('matches nothing in a buffer without the test string', async () => {
    const sut = await build([EICAR_RULE]);

    await expect(sut.scanBuffer(Buffer.from(EICAR.replace('EICAR', 'ACIRE')))).resolves.toMatchObject({ matches: [] });
  });

  it('scans a file, reporting offsets within it', async () => {
    const sut = await build([EICAR_RULE]);
    const path = join(dir, 'sample.com');
    await writeFile(path, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(4094), Buffer.from(EICAR)]));

    const result = await sut.scanFile(path);

    expect(result.matches.map((m) => [m.rule, m.patterns[0]])).toEqual([
      ['EICAR_Test_File', { identifier: '$eicar', offset: 4096, length: EICAR.length }],
    ]);
  });

  it('rejects the scan of a missing file', async () => {
    const sut = await build([EICAR_RULE]);

    await expect(sut.scanFile(join(dir, 'missing.bin'))).rejects.toThrow(/No such file/);
  });

  it('keeps at most maxMatchesPerPattern matches of a pattern as evidence', async () => {
    const sut = await build([{ name: 'needle.yar', source: 'rule Needle { strings: $n = "needle" condition: $n }' }], {
      maxMatchesPerPattern: 5,
    });

    const result = await sut.scanBuffer(Buffer.from('needle '.repeat(1000)));

    expect(result.matches[0].patterns.map((p) => p.offset)).toEqual([0, 7, 14, 21, 28]);
  });

  it('rejects with ScanTimeoutError when the scan outlasts timeoutMs, and scans again in a fresh engine', async () => {
    const sut = await build(SLOW_RULES);

    await expect(sut.scanBuffer(slowData(8 * 1024 * 1024, 32), { timeoutMs: 50 })).rejects.toBeInstanceOf(
      ScanTimeoutError,
    );
    expect(sut.pendingScans).toBe(0);
    await expect(sut.scanBuffer(Buffer.from(EICAR))).resolves.toMatchObject({ matches: [] });
  });

  it('keeps the event loop turning while a scan of a 256 MiB buffer runs for over a second', async () => {
    const sut = await build(SLOW_RULES);
    await sut.ready();
    const data = slowData(256 * 1024 * 1024, 192);

    const { value, gapMs, wallMs } = await longestEventLoopGap(() => sut.scanBuffer(data));

    expect(value.matches).toEqual([]);
    expect(wallMs).toBeGreaterThan(1000);
    // a scan on the event loop would stop it for the whole scan; the longest pause is a small part of it (the
    // share is a structural bound, not a speed figure, so that a loaded machine does not fail it)
    expect(gapMs).toBeLessThan(wallMs / 4);
  });

  it('saves the compiled rules, which another ruleset opens and scans with, without compiling them', async () => {
    const path = join(dir, 'eicar.yarc');
    const outcome = await compileRuleset([EICAR_RULE], { saveTo: path });
    rulesets.push(outcome.ruleset!);
    const bytes = await readFile(path);
    expect(outcome.saved).toEqual(
      expect.objectContaining({ path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }),
    );

    // no source to compile: what it detects can only come from the saved file
    const opened = await openRuleset([], ['EICAR_Test_File'], outcome.saved!);
    rulesets.push(opened);

    const result = await opened.scanBuffer(Buffer.from(EICAR));
    expect(result.matches.map((m) => m.rule)).toEqual(['EICAR_Test_File']);
  });

  it('compiles from the source when the saved rules do not match their SHA-256 (YARA-X would open them)', async () => {
    const path = join(dir, 'altered.yarc');
    const outcome = await compileRuleset([EICAR_RULE], { saveTo: path });
    rulesets.push(outcome.ruleset!);
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(path, bytes);

    const fromSource = await openRuleset([EICAR_RULE], ['EICAR_Test_File'], outcome.saved!);
    rulesets.push(fromSource);
    await expect(fromSource.scanBuffer(Buffer.from(EICAR))).resolves.toMatchObject({
      matches: [{ rule: 'EICAR_Test_File' }],
    });
    // and with nothing to compile instead, nothing is detected from the altered bytes
    const empty = await openRuleset([], [], outcome.saved!);
    rulesets.push(empty);
    await expect(empty.scanBuffer(Buffer.from(EICAR))).resolves.toMatchObject({ matches: [] });
  });

  it('saves namespaced rules, which open (or, when the file is unusable, build again) in their namespaces', async () => {
    const sources: RuleSource[] = [
      EICAR_RULE,
      { ...EICAR_RULE, name: 'pack/eicar.yar', namespace: 'pack' },
      { name: 'pe/only.yar', namespace: 'pe', source: 'import "pe"\nrule EICAR_Test_File { condition: not pe.is_pe }' },
    ];
    const path = join(dir, 'namespaced.yarc');
    const outcome = await compileRuleset(sources, { saveTo: path });
    rulesets.push(outcome.ruleset!);
    const found = (result: ScanResult) => result.matches.map((m) => `${m.namespace ?? '-'}:${m.rule}`);
    const expected = ['-:EICAR_Test_File', 'pack:EICAR_Test_File', 'pe:EICAR_Test_File'];
    expect(found(await outcome.ruleset!.scanBuffer(Buffer.from(EICAR)))).toEqual(expected);

    // no source to compile: the namespaces can only come from the saved file
    const opened = await openRuleset([], outcome.ruleNames, outcome.saved!);
    rulesets.push(opened);
    expect(found(await opened.scanBuffer(Buffer.from(EICAR)))).toEqual(expected);

    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(path, bytes);
    const rebuilt = await openRuleset(sources, outcome.ruleNames, outcome.saved!);
    rulesets.push(rebuilt);
    expect(found(await rebuilt.scanBuffer(Buffer.from(EICAR)))).toEqual(expected);
  });

  it("sets the external variables of packs written for other scanners from the file's name and type", async () => {
    const sut = await build([
      {
        name: 'externals.yar',
        source: [
          'rule Script_By_Name { condition: extension == ".vbs" and filename startswith "invoice" }',
          'rule In_Archive { condition: filepath contains "docs/" and filetype == "zip" and owner == "" }',
        ].join('\n'),
      },
    ]);
    const rulesFor = async (file: { name?: string; type?: string }) =>
      (await sut.scanBuffer(Buffer.from('any bytes'), { variables: scanVariables(file) })).matches.map((m) => m.rule);

    expect(scanVariables({ name: 'docs/Invoice.2026.VBS', type: 'zip' })).toEqual({
      filename: 'Invoice.2026.VBS',
      filepath: 'docs/Invoice.2026.VBS',
      extension: '.vbs',
      filetype: 'zip',
      owner: '',
    });
    expect(scanVariables({ name: '.profile' })).toMatchObject({ filename: '.profile', extension: '' });
    expect(await rulesFor({ name: 'invoice.vbs' })).toEqual(['Script_By_Name']);
    expect(await rulesFor({ name: 'invoice.txt' })).toEqual([]);
    expect(await rulesFor({ name: 'docs/x.bin', type: 'zip' })).toEqual(['In_Archive']);
    // without variables, each is empty
    expect((await sut.scanBuffer(Buffer.from('any bytes'))).matches).toEqual([]);
    // names the binding would read as a boolean or an integer (and YARA-X then refuse) still scan
    for (const name of ['true', 'FALSE', '123', '-7', 'docs/true.vbs'])
      await expect(rulesFor({ name })).resolves.toBeDefined();
  });

  it('rejects scans with ScanEngineError once closed, its engine process gone', async () => {
    const sut = await build([EICAR_RULE]);
    const pid = sut.enginePid as number;
    await sut.close();

    await expect(sut.scanBuffer(Buffer.from(EICAR))).rejects.toBeInstanceOf(ScanEngineError);
    expect(processExists(pid)).toBe(false);
  });

  it("ends a scan that outlasts timeoutMs by YARA-X's own limit: ScanTimeoutError, the engine kept, the event loop turning", async () => {
    const sut = await build([LOOP_RULE]);
    const pid = sut.enginePid as number;

    const { value, gapMs, wallMs } = await longestEventLoopGap(() =>
      sut.scanBuffer(Buffer.alloc(64 * 1024), { timeoutMs: 2000 }).catch((error: unknown) => error),
    );

    expect(value).toBeInstanceOf(ScanTimeoutError);
    expect(wallMs).toBeGreaterThanOrEqual(1000);
    expect(wallMs).toBeLessThan(5000);
    expect(gapMs).toBeLessThan(200);
    await expect(sut.scanBuffer(LOOP_MATCH)).resolves.toMatchObject({ matches: [{ rule: 'Loop' }] });
    expect(sut.enginePid).toBe(pid);
  });

  it('runs scans side by side on its threads: one held by a hostile loop does not hold the others', async () => {
    const sut = await build([LOOP_RULE, EICAR_RULE], { scanThreads: 2 });
    const pid = sut.enginePid as number;

    const spinning = sut.scanBuffer(Buffer.alloc(64 * 1024), { timeoutMs: 3000 }).catch((error: unknown) => error);
    const others = await Promise.all([1, 2, 3].map(() => sut.scanBuffer(Buffer.from(EICAR))));

    expect(sut.pendingScans).toBe(1);
    expect(others.map((r) => r.matches.some((m) => m.rule === 'EICAR_Test_File'))).toEqual([true, true, true]);
    expect(await spinning).toBeInstanceOf(ScanTimeoutError);
    expect(sut.enginePid).toBe(pid);
  });

  it('scans again, in a fresh engine, a scan interrupted when the engine is killed for the one beside it', async () => {
    const sut = await build([LOOP_RULE], { scanThreads: 2 });
    const first = sut.enginePid;

    // under a second, the limit is the parent's: the process is killed, the scan running beside it interrupted
    const spinning = sut.scanBuffer(Buffer.alloc(64 * 1024), { timeoutMs: 300 });
    const beside = sut.scanBuffer(LOOP_MATCH, { timeoutMs: 60_000 });

    await expect(spinning).rejects.toBeInstanceOf(ScanTimeoutError);
    await expect(beside).resolves.toMatchObject({ matches: [{ rule: 'Loop' }] });
    expect(sut.enginePid).not.toBe(first);
  });

  it('scans in a fresh engine after a timeout that killed it, including the scans that waited behind', async () => {
    const sut = await build([LOOP_RULE]);
    const first = sut.enginePid;

    const spinning = sut.scanBuffer(Buffer.alloc(64 * 1024), { timeoutMs: 500 });
    const waiting = sut.scanBuffer(LOOP_MATCH);
    expect(sut.pendingScans).toBe(2);

    await expect(spinning).rejects.toBeInstanceOf(ScanTimeoutError);
    await expect(waiting).resolves.toMatchObject({ matches: [{ rule: 'Loop' }] });
    await expect(sut.scanBuffer(LOOP_MATCH)).resolves.toMatchObject({ matches: [{ rule: 'Loop' }] });
    expect(sut.enginePid).not.toBe(first);
  });

  it('rejects the scan running when the engine crashes with ScanEngineError (crashed), and scans again', async () => {
    const sut = await build([LOOP_RULE]);
    const pid = sut.enginePid as number;
    const spinning = sut.scanBuffer(Buffer.alloc(64 * 1024));
    // SIGKILL, as the kernel's OOM killer would: a SIGSEGV sent from outside may be caught by the handlers of the
    // native code the engine runs (V8's, Rust's), which makes its outcome depend on where the engine was
    setTimeout(() => process.kill(pid, 'SIGKILL'), 300);

    const error: unknown = await spinning.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ScanEngineError);
    expect((error as ScanEngineError).message).toMatch(/killed by SIGKILL/);
    expect(error).toMatchObject({ crashed: true });
    await expect(sut.scanBuffer(LOOP_MATCH)).resolves.toMatchObject({ matches: [{ rule: 'Loop' }] });
  });

  it('rejects scans with ScanEngineError when YARA-X cannot build the rules', async () => {
    const sut = new CompiledRuleset('rule Broken { condition: tru }', ['Broken']);
    rulesets.push(sut);

    await expect(sut.ready()).rejects.toThrow(/could not build the rules.*unknown identifier `tru`/s);
    await expect(sut.scanBuffer(Buffer.from(EICAR))).rejects.toMatchObject({
      name: 'ScanEngineError',
      crashed: false,
    });
  });
});
