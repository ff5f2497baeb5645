/**
 * Rule packs that scan like real ones. The generated rules of the other benchmarks carry 12–16 random bytes in every
 * pattern: YARA-X finds a rare atom in each, almost never verifies anything, and scans real files about five times
 * faster than public packs do. Real packs are full of patterns whose best atom is common in clean files (x86
 * prologues, API and libc names, JavaScript idioms), short strings, `nocase`/`wide` variants, hex with jumps and
 * wildcards, regular expressions and module conditions; this generator draws that mixture, deterministically for a
 * seed, as three packs shaped like signature-base (many rules a file), ReversingLabs (one family a file, hex-heavy)
 * and Elastic (one family a file, hex and `2 of them`).
 *
 * The proportions are in MIXTURE; they were tuned so that bare YARA-X scans this machine's system corpus
 * (bench/support/system-corpus.ts) at about the per-thread speed measured with 18,657 public rules (8.4 MB/s).
 * Rule names are unique across all packs, so the files compile in namespaces of their own or joined as one text.
 */
import { prng } from './harness';

export interface RuleFile {
  /** `<pack>/<folder>/<name>.yar` */
  path: string;
  /** a namespace for the file, unique across packs */
  namespace: string;
  source: string;
  /** public and private rules in the file */
  rules: number;
}

export interface RulePack {
  name: string;
  files: RuleFile[];
}

export interface PackOptions {
  /** public rules across all packs (private helpers come on top, about one per file that has several rules) */
  rules: number;
  seed: number;
}

/** The external variables some rules read; define them (with these defaults) when compiling, set them per scan. */
export const RULE_VARIABLES: Readonly<Record<'filename' | 'filepath' | 'extension', string>> = {
  filename: '',
  filepath: '',
  extension: '',
};

/**
 * The mixture, per pattern or per rule. "common" patterns are built from bytes that clean files contain (their best
 * atom hits clean system binaries and scripts); the others carry a random part that hits nothing.
 */
export const MIXTURE = {
  /** share of the text strings taken from what clean files contain (API names, libc, JS idioms, paths) */
  commonText: 0.3,
  /** share of the hex strings made of x86 code as compilers emit it, operands wildcarded */
  codeHex: 0.2,
  /** share of the text strings that are 3–4 characters long */
  shortText: 0.02,
  /** of the text strings: `nocase`, `wide`, `fullword`, `xor`, `base64` */
  nocase: 0.18,
  wide: 0.3,
  fullword: 0.12,
  xor: 0.006,
  base64: 0.008,
  /** a rule's chance of one regular expression among its strings */
  regex: 0.14,
  /** of the regular expressions, those that start with a common part (`http`, `eval`, ...) */
  commonRegex: 0.5,
  /** rules without strings: only module conditions (imphash, hashes, sections, entropy) */
  stringless: 0.05,
};

// ---------------------------------------------------------------------------------------------------------------
// what clean files contain

/** x86 and x86-64 instructions as compilers emit them; `??` where the operand varies. */
const X86 = [
  '55 8B EC', '8B FF 55 8B EC', '83 EC ??', '6A FF 68', '64 A1 00 00 00 00', '8B 45 ??', '89 45 ??', '8B 4D ??',
  '8B 55 ??', '8D 45 ??', '50', '51', '52', '53', '56', '57', '5E', '5F', '5B', 'C3', 'C2 ?? 00', 'E8 ?? ?? ?? ??',
  'FF 15 ?? ?? ?? ??', '85 C0', '74 ??', '75 ??', 'EB ??', '33 C0', '33 C9', '31 C0', '31 D2', '31 F6', 'C9',
  '48 89 5C 24 ??', '48 89 74 24 ??', '48 89 6C 24 ??', '48 83 EC ??', '48 83 C4 ??', '48 8B 05 ?? ?? ?? ??',
  '48 8D 0D ?? ?? ?? ??', '48 8D 15 ?? ?? ?? ??', '48 8D 3D ?? ?? ?? ??', '48 8D 35 ?? ?? ?? ??', '48 89 C7',
  '48 89 DF', '4C 89 E7', '4C 89 EE', '48 89 E5', '55 48 89 E5', 'F3 0F 1E FA', '41 54', '41 55', '41 56', '41 57',
  '48 85 C0', '48 85 DB', '0F 84 ?? ?? ?? ??', '0F 85 ?? ?? ?? ??', 'E9 ?? ?? ?? ??', '48 8B 44 24 ??',
  '48 8B 7C 24 ??', '89 C7', '89 44 24 ??', 'C7 44 24 ?? ?? ?? ?? ??', 'BE ?? ?? ?? ??', 'BF ?? ?? ?? ??',
  '0F B6 ??', '0F B7 ??', '83 F8 ??', '83 FA ??', '3C ??', '80 3D ?? ?? ?? ?? 00', '48 8B 45 ??', '48 8B 55 ??',
  '8B 04 24', '66 0F 1F 44 00 00', '0F 1F 40 00', '0F 1F 00', 'C6 45 ?? ??', '88 45 ??', '48 63 D0', '48 01 D0',
  '48 29 C2', '48 C1 E0 ??', 'C1 E8 ??', 'D1 E8', '33 D2', 'F7 F1', '0F AF C1', '8A 04 ??', '30 04 ??', '32 C2',
  '40 88 ??', '49 89 C4', '4D 85 E4', '45 31 C0', '45 31 C9', 'FF D0', 'FF 50 ??', 'FF 90 ?? ?? ?? ??',
]; // prettier-ignore

/** Names and strings that clean ELF binaries, shared libraries, PE files and scripts carry. */
const COMMON_TEXT = [
  'GLIBC_2.2.5', 'GLIBC_2.14', 'GLIBC_2.34', '__libc_start_main', '__cxa_finalize', '__gmon_start__',
  '__stack_chk_fail', 'libc.so.6', 'libpthread.so.0', 'libdl.so.2', 'libm.so.6', 'libstdc++.so.6',
  '/lib64/ld-linux-x86-64.so.2', '.gnu.version', '.eh_frame', '.dynsym', '.rodata', 'GCC: (Debian', 'memcpy',
  'strlen', 'malloc', 'calloc', 'realloc', 'strcmp', 'strncmp', 'sprintf', 'snprintf', 'fopen', 'fwrite', 'getenv',
  'setenv', 'socket', 'connect', 'bind', 'listen', 'accept', 'recv', 'send', 'fork', 'execve', 'execvp', 'system',
  'popen', 'dlopen', 'dlsym', 'mmap', 'mprotect', 'ptrace', 'pthread_create', 'unlink', 'chmod', 'kill', 'getpid',
  '/bin/sh', '/bin/bash', '/proc/', '/proc/self/exe', '/etc/passwd', '/etc/', '/tmp/', '/dev/null', '/usr/bin/',
  '/var/run', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'http://', 'https://', 'User-Agent',
  'Mozilla/5.0', 'Content-Type', 'Content-Length', 'POST', 'GET ', 'Host: ', 'password', 'passwd', 'login', 'admin',
  'error', 'Error', 'failed', 'usage: ', 'Usage: ', 'version', 'config', 'debug', 'update', 'download', 'upload',
  'encrypt', 'decrypt', 'cipher', 'base64', 'SHA256', 'token', 'session', 'cookie',
  'kernel32.dll', 'ntdll.dll', 'user32.dll', 'advapi32.dll', 'ws2_32.dll', 'wininet.dll', 'VirtualAlloc',
  'VirtualProtect', 'GetProcAddress', 'LoadLibraryA', 'LoadLibraryW', 'CreateThread', 'CreateProcessA',
  'WriteProcessMemory', 'ReadProcessMemory', 'CreateRemoteThread', 'OpenProcess', 'GetModuleHandleA', 'Sleep',
  'RegOpenKeyExA', 'RegSetValueExA', 'InternetOpenA', 'HttpSendRequestA', 'URLDownloadToFileA', 'ShellExecuteA',
  'WinExec', 'IsDebuggerPresent', 'CryptEncrypt', 'This program cannot be run in DOS mode', '.text', '.data',
  '.rdata', '.reloc', 'function(){', 'return eval(', 'require("child_process")', 'module.exports=',
  '.prototype.constructor', 'eval(', 'atob(', 'btoa(', 'fromCharCode', 'charCodeAt', 'document.write(',
  'window.location.href', 'XMLHttpRequest', 'ActiveXObject', 'WScript.Shell', 'new Function(', 'child_process',
  'process.env', 'Buffer.from(', 'unescape(', 'decodeURIComponent(', '.split("").reverse().join("")', 'var _0x',
  'setTimeout(function', 'JSON.parse(atob(',
  'powershell', 'cmd.exe', '/c ', 'rundll32', 'regsvr32', 'schtasks', 'certutil', 'bitsadmin', 'wget', 'curl',
  'chmod +x', 'nohup', 'crontab', '.onion', 'bitcoin', 'wallet', 'stratum+tcp', 'xmrig', 'miner', 'pool',
]; // prettier-ignore

/** Short atoms as real packs have them: three or four characters. */
const SHORT_TEXT = [
  'cmd', 'exe', 'dll', 'bat', 'vbs', 'ps1', 'tmp', 'log', 'key', 'pwd', 'bot', 'rat', 'c2_', 'GET', 'PUT', 'MZ\\x90',
  '.php', '.asp', '.jsp', 'http', 'wget', 'curl', 'sh -', 'root', 'pass', 'user', 'mail', 'smtp', 'ftp:', 'tcp:',
  'eval', 'exec', 'load', 'inj', 'hook', 'kill', 'lock', 'enc_', 'dec_', 'xor_', 'rc4', 'aes', 'zip', 'rar',
]; // prettier-ignore

const COMMON_REGEX = [
  String.raw`/https?:\/\/[a-z0-9\.\-]{4,40}\/[a-z0-9_\-\/]{1,30}\.php/`,
  String.raw`/eval\(.{0,80}(atob|unescape|base64)/`,
  String.raw`/;base64,[A-Za-z0-9+\/]{40}/`,
  String.raw`/\/bin\/(ba)?sh -c [^\x00]{4,60}/`,
  String.raw`/User-Agent: Mozilla\/[0-9]\.[0-9] \([^)]{5,80}\)/`,
  String.raw`/[a-z]{4,12}\.(exe|dll|scr|bat)/`,
  String.raw`/fromCharCode\([0-9, ]{10,200}\)/`,
  String.raw`/var _0x[a-f0-9]{4,6}\s*=/`,
  String.raw`/\\x[0-9a-f]{2}\\x[0-9a-f]{2}\\x[0-9a-f]{2}/`,
  String.raw`/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}:[0-9]{2,5}/`,
  String.raw`/(password|passwd|pwd)\s*[=:]\s*["'][^"']{4,40}["']/`,
  String.raw`/socket\.(connect|send)\(/`,
  String.raw`/GetProcAddress[^\x00]{0,40}VirtualAlloc/`,
  String.raw`/\/tmp\/\.[a-z0-9]{3,12}/`,
]; // prettier-ignore

// ---------------------------------------------------------------------------------------------------------------
// names and metadata

const FAMILIES = [
  'Emotet', 'Qakbot', 'AgentTesla', 'Formbook', 'Remcos', 'AsyncRAT', 'Lokibot', 'IcedID', 'Raccoon', 'RedLine',
  'Vidar', 'NjRAT', 'DarkGate', 'Pikabot', 'Lumma', 'SmokeLoader', 'Amadey', 'Stealc', 'XWorm', 'Mirai', 'Gafgyt',
  'Tsunami', 'XorDDoS', 'Kinsing', 'TeamTNT', 'CobaltStrike', 'Sliver', 'Metasploit', 'Meterpreter', 'Mimikatz',
  'PlugX', 'ShadowPad', 'Winnti', 'Turla', 'Lazarus', 'APT28', 'APT29', 'Kimsuky', 'Conti', 'LockBit', 'BlackCat',
  'Ryuk', 'REvil', 'Babuk', 'Hive', 'Akira', 'Royal', 'Play', 'Clop', 'GandCrab', 'WannaCry', 'NotPetya', 'Zloader',
  'Dridex', 'TrickBot', 'Ursnif', 'BazarLoader', 'Bumblebee', 'GootLoader', 'SocGholish', 'NetWire', 'Warzone',
  'DcRAT', 'QuasarRAT', 'Gh0stRAT', 'PoisonIvy', 'DarkComet', 'Nanocore', 'Houdini', 'Adwind', 'Glupteba',
]; // prettier-ignore
const SB_PREFIXES = ['APT', 'MAL', 'SUSP', 'HKTL', 'WEBSHELL', 'EXPL', 'PUA', 'CRIME', 'LOG', 'SIGNATURE'];
const SB_TOPICS = ['apt', 'crime', 'gen', 'hktl', 'thor', 'expl', 'mal', 'susp', 'webshell', 'vul'];
const RL_KINDS = ['Ransomware', 'Trojan', 'Backdoor', 'Downloader', 'Infostealer', 'Worm', 'Exploit', 'Hacktool'];
const ELASTIC_KINDS = ['Trojan', 'Ransomware', 'Backdoor', 'Exploit', 'Cryptominer', 'Hacktool', 'Rootkit'];
const PLATFORMS = ['Win32', 'Win64', 'Linux', 'MacOS', 'Multi', 'ByteCode'];
const AUTHORS = ['Florian Roth', 'Arnim Rupp', 'Max Altgelt', 'Tobias Michalski', 'Joe Security', 'X__Junior'];
const WORDS = [
  'invoke', 'payload', 'stager', 'beacon', 'loader', 'inject', 'persist', 'keylog', 'exfil', 'token', 'shell',
  'crypt', 'ransom', 'miner', 'update', 'service', 'registry', 'socket', 'config', 'panel', 'gate', 'bot', 'agent',
  'implant', 'dropper', 'spread', 'scan', 'brute', 'proxy', 'tunnel', 'relay', 'worker', 'task', 'job', 'check',
]; // prettier-ignore

// ---------------------------------------------------------------------------------------------------------------
// the generator

interface Draw {
  random: () => number;
  pick<T>(list: readonly T[]): T;
  between(low: number, high: number): number;
  chance(p: number): boolean;
  hexDigits(n: number): string;
  bytes(n: number): string[];
}

function drawing(seed: number): Draw {
  const random = prng(seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  return {
    random,
    pick: (list) => list[Math.floor(random() * list.length)],
    between,
    chance: (p) => random() < p,
    hexDigits: (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join(''),
    bytes: (n) =>
      Array.from({ length: n }, () =>
        Math.floor(random() * 256)
          .toString(16)
          .toUpperCase()
          .padStart(2, '0'),
      ),
  };
}

/** A YARA text string literal of arbitrary text (the pools hold plain text, `\\x90` escapes included). */
const literal = (text: string) => `"${text.replace(/\\(?!x[0-9a-fA-F]{2})/g, '\\\\').replace(/"/g, '\\"')}"`;

interface Pattern {
  /** identifier without `$`, e.g. `s1`, `x2`, `h3`, `r1` */
  id: string;
  text: string;
}

/** A rare string, as the specific part of a signature: a mutex, a path, a URL, a PDB path, a class name. */
function rareText(d: Draw, family: string): string {
  const word = d.pick(WORDS);
  switch (d.between(0, 7)) {
    case 0:
      return `Global\\${d.hexDigits(8)}-${d.hexDigits(4)}-${d.hexDigits(4)}`;
    case 1:
      return `C:\\Users\\Public\\${word}${d.hexDigits(4)}.exe`;
    case 2:
      return `/${word}/${d.hexDigits(d.between(6, 12))}.php`;
    case 3:
      return `D:\\work\\${family}\\Release\\${word}_${d.hexDigits(3)}.pdb`;
    case 4:
      return `${family.toLowerCase()}_${word}_${d.hexDigits(d.between(3, 6))}`;
    case 5:
      return `${word.toUpperCase()}_${d.hexDigits(6).toUpperCase()}`;
    case 6:
      return `/tmp/.${word}${d.hexDigits(d.between(2, 5))}`;
    default:
      return `${d.pick(['Mozilla/4.0 (compatible; ', 'cmd.exe /c ', 'powershell -enc ', '/bin/sh -c '])}${word}${d.hexDigits(5)}`;
  }
}

function textModifiers(d: Draw, value: string): string {
  const mods: string[] = [];
  if (d.chance(MIXTURE.xor) && value.length >= 10) return ' xor(0x01-0xff)';
  if (d.chance(MIXTURE.base64) && value.length >= 6) return d.chance(0.5) ? ' base64' : ' base64 base64wide';
  const wide = d.chance(MIXTURE.wide);
  if (wide) mods.push(d.chance(0.7) ? 'ascii wide' : 'wide');
  else if (d.chance(0.2)) mods.push('ascii');
  if (d.chance(MIXTURE.nocase)) mods.push('nocase');
  if (d.chance(MIXTURE.fullword) && /^[A-Za-z0-9_.]+$/.test(value)) mods.push('fullword');
  return mods.length ? ` ${mods.join(' ')}` : '';
}

function textPattern(d: Draw, family: string): string {
  let value: string;
  if (d.chance(MIXTURE.shortText)) value = d.pick(SHORT_TEXT);
  else if (d.chance(MIXTURE.commonText)) {
    value = d.pick(COMMON_TEXT);
    // real signatures quote a common name inside a longer context now and then
    if (d.chance(0.25)) value = `${value}${d.pick(['', ' ', '(', '.', '_', '/'])}${d.pick(WORDS)}`;
  } else value = rareText(d, family);
  return `${literal(value)}${textModifiers(d, value)}`;
}

/** Hex of x86 code: 3–7 instructions from X86, a jump between two of them now and then. */
function codeHex(d: Draw): string {
  const count = d.between(3, 7);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && d.chance(0.12)) parts.push(`[${d.between(0, 4)}-${d.between(6, 16)}]`);
    parts.push(d.pick(X86));
  }
  // nothing but `??` and jumps at either end: YARA-X refuses a pattern that starts or ends with them
  return trimHex(parts.join(' '));
}

/** Hex with a random (rare) part: bytes, `??` wildcards, `4?` nibbles, `( AA | BB )` alternatives, `[2-8]` jumps. */
function rareHex(d: Draw): string {
  const runs = d.between(1, 3);
  const parts: string[] = [];
  for (let run = 0; run < runs; run++) {
    if (run > 0) parts.push(d.chance(0.6) ? `[${d.between(1, 4)}-${d.between(5, 12)}]` : '?? ??');
    const length = d.between(4, 10);
    for (const byte of d.bytes(length)) {
      const shape = d.random();
      if (shape < 0.06 && parts.length) parts.push('??');
      else if (shape < 0.1) parts.push(`${byte[0]}?`);
      else if (shape < 0.13) parts.push(`( ${byte} | ${d.bytes(1)[0]} )`);
      else parts.push(byte);
    }
  }
  return trimHex(parts.join(' '));
}

function trimHex(body: string): string {
  const tokens = body.split(' ');
  const fixed = (t: string | undefined) => t !== undefined && t !== '??' && !t.startsWith('[') && !t.endsWith('?');
  while (tokens.length && !fixed(tokens[0])) tokens.shift();
  while (tokens.length && !fixed(tokens[tokens.length - 1])) tokens.pop();
  if (!tokens.length) return '{ 90 90 90 }';
  return `{ ${tokens.join(' ')} }`;
}

function rareRegex(d: Draw): string {
  const word = d.pick(WORDS);
  switch (d.between(0, 3)) {
    case 0:
      return `/${word}_[a-f0-9]{${d.between(4, 8)}}\\.(exe|dll)/`;
    case 1:
      return `/\\/${word}\\/[a-z0-9]{${d.between(6, 10)},${d.between(12, 20)}}\\.php\\?id=[0-9]{2,8}/`;
    case 2:
      return `/${d.hexDigits(4)}[a-z]{2,6}${word}.{0,${d.between(10, 60)}}${d.hexDigits(3)}/`;
    default:
      return `/${word.toUpperCase()}-[A-Z0-9]{${d.between(4, 6)}}-${d.hexDigits(4)}/ nocase`;
  }
}

interface RuleShape {
  name: string;
  tags: string[];
  meta: string[];
  patterns: Pattern[];
  condition: string;
  private?: boolean;
}

function printRule(rule: RuleShape): string {
  const head = `${rule.private ? 'private ' : ''}rule ${rule.name}${rule.tags.length ? ` : ${rule.tags.join(' ')}` : ''}`;
  const lines = [head, '{'];
  if (rule.meta.length) lines.push('    meta:', ...rule.meta.map((m) => `        ${m}`));
  if (rule.patterns.length) lines.push('    strings:', ...rule.patterns.map((p) => `        $${p.id} = ${p.text}`));
  lines.push('    condition:', `        ${rule.condition}`, '}');
  return lines.join('\n');
}

/** What modules a rule's conditions used, so that the file imports them. */
interface FileState {
  imports: Set<string>;
  /** private helpers of the file a rule may reference */
  helpers: string[];
}

const date = (d: Draw) =>
  `${d.between(2014, 2026)}-${String(d.between(1, 12)).padStart(2, '0')}-${String(d.between(1, 28)).padStart(2, '0')}`;

/** Strings of a rule: `$s*` text, `$x*` more text, `$h*` hex, `$r*` regular expressions. */
function drawPatterns(d: Draw, family: string, style: 'sb' | 'rl' | 'el'): Pattern[] {
  const textCount = style === 'sb' ? d.between(1, 8) : style === 'rl' ? d.between(0, 3) : d.between(0, 4);
  const hexCount = style === 'sb' ? d.between(0, 2) : style === 'rl' ? d.between(2, 6) : d.between(1, 5);
  const patterns: Pattern[] = [];
  for (let i = 1; i <= textCount; i++) patterns.push({ id: `${i <= 3 ? 's' : 'x'}${i}`, text: textPattern(d, family) });
  for (let i = 1; i <= hexCount; i++)
    patterns.push({ id: `h${i}`, text: d.chance(MIXTURE.codeHex) ? codeHex(d) : rareHex(d) });
  if (d.chance(MIXTURE.regex))
    patterns.push({ id: 'r1', text: d.chance(MIXTURE.commonRegex) ? d.pick(COMMON_REGEX) : rareRegex(d) });
  if (!patterns.length) patterns.push({ id: 'h1', text: rareHex(d) });
  return patterns;
}

/** A condition that uses every pattern (YARA-X refuses unused ones), in one of the shapes real packs use. */
function drawCondition(d: Draw, patterns: Pattern[], file: FileState): string {
  const ids = patterns.map((p) => p.id);
  const groups = ['s', 'x', 'h', 'r'].filter((g) => ids.some((id) => id.startsWith(g)));
  const count = (g: string) => ids.filter((id) => id.startsWith(g)).length;
  const strings = (): string => {
    const shape = d.random();
    if (ids.length === 1) return `$${ids[0]}`;
    if (shape < 0.3) return d.chance(0.5) ? 'any of them' : `${Math.min(ids.length, d.between(2, 3))} of them`;
    if (shape < 0.5) return 'all of them';
    if (shape < 0.8)
      return groups
        .map((g) => (count(g) > 1 && d.chance(0.5) ? `${d.between(1, count(g))} of ($${g}*)` : `any of ($${g}*)`))
        .join(d.chance(0.7) ? ' and ' : ' or ');
    if (shape < 0.9 && ids.includes('h1')) {
      const rest = ids.filter((id) => id !== 'h1');
      const loop = `for any i in (1..#h1) : ( @h1[i] < ${d.pick(['1000', '0x400', '0x2000', 'filesize \\ 2'])} )`;
      return rest.length ? `${loop} and any of (${rest.map((id) => `$${id}`).join(', ')})` : loop;
    }
    return `${d.pick(['for any of', 'for all of'])} them : ( ${d.pick(['# > 1', '@ < 0x10000', '# > 2', '! > 3'])} )`;
  };
  const head = d.random();
  let guard = '';
  if (head < 0.42) guard = 'uint16(0) == 0x5A4D and ';
  else if (head < 0.52) guard = 'uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and ';
  else if (head < 0.62) guard = 'uint32(0) == 0x464C457F and ';
  else if (head < 0.67)
    guard = `${d.pick(['extension == ".js"', 'filename matches /\\.(exe|dll|scr)$/i', 'filepath contains "Temp"'])} and `;
  else if (head < 0.72 && file.helpers.length) guard = `${d.pick(file.helpers)} and `;
  const size = d.chance(0.45) ? ` and filesize < ${d.pick(['100KB', '500KB', '2MB', '5MB', '10MB', '20MB'])}` : '';
  const extra = moduleTail(d, file, guard.startsWith('uint16'));
  return `${guard}${strings()}${size}${extra}`.replace(/ {2,}/g, ' ');
}

/** A module condition at the end of a rule, now and then: pe, math, hash. */
function moduleTail(d: Draw, file: FileState, isPe: boolean): string {
  const roll = d.random();
  if (isPe && roll < 0.1) {
    file.imports.add('pe');
    return ` and ${d.pick([
      `pe.imports("kernel32.dll", "${d.pick(['VirtualAlloc', 'CreateRemoteThread', 'WriteProcessMemory', 'LoadLibraryA'])}")`,
      `pe.number_of_sections ${d.pick(['>', '<', '=='])} ${d.between(2, 9)}`,
      'pe.is_dll()',
      `pe.exports("${d.pick(['DllRegisterServer', 'ServiceMain', 'DllGetClassObject', 'Start'])}")`,
      `pe.timestamp > ${d.between(1400000000, 1700000000)}`,
    ])}`;
  }
  if (roll < 0.13) {
    file.imports.add('math');
    return ` and math.entropy(${d.pick(['0, filesize', '0, 4096', 'filesize - 1024, 1024'])}) > ${d.pick(['6.5', '7', '7.2', '7.8'])}`;
  }
  return '';
}

/** A rule with no strings: an imphash, a file hash, a section count, an entropy. */
function stringlessCondition(d: Draw, file: FileState): string {
  const shape = d.between(0, 3);
  if (shape === 0) {
    file.imports.add('pe');
    return `uint16(0) == 0x5A4D and pe.imphash() == "${d.hexDigits(32)}"`;
  }
  if (shape === 1) {
    file.imports.add('hash');
    return `filesize < ${d.between(50, 900)}KB and hash.md5(0, filesize) == "${d.hexDigits(32)}"`;
  }
  if (shape === 2) {
    file.imports.add('pe');
    return `uint16(0) == 0x5A4D and pe.number_of_sections == ${d.between(3, 8)} and pe.sections[0].name == ".${d.pick(['text', 'upx0', 'vmp0', 'aspack'])}" and pe.entry_point < ${d.between(1, 9)}000`;
  }
  file.imports.add('pe');
  file.imports.add('math');
  return `uint16(0) == 0x5A4D and for any s in pe.sections : ( math.entropy(s.raw_data_offset, s.raw_data_size) > 7.4 and s.name == ".${d.pick(['rsrc', 'data', 'text'])}" )`;
}

function meta(d: Draw, style: 'sb' | 'rl' | 'el', family: string, description: string): string[] {
  const hash = d.hexDigits(64);
  if (style === 'el')
    return [
      `author = "Elastic Security"`,
      `id = "${d.hexDigits(8)}-${d.hexDigits(4)}-${d.hexDigits(4)}-${d.hexDigits(4)}-${d.hexDigits(12)}"`,
      `fingerprint = "${d.hexDigits(64)}"`,
      `creation_date = "${date(d)}"`,
      `last_modified = "${date(d)}"`,
      `threat_name = "${family}"`,
      `reference_sample = "${hash}"`,
      `severity = ${d.between(50, 100)}`,
      `arch_context = "x86"`,
      `scan_context = "file, memory"`,
      `license = "Elastic License v2"`,
      `os = "${d.pick(['windows', 'linux', 'macos'])}"`,
    ];
  if (style === 'rl')
    return [
      `author = "ReversingLabs"`,
      `source = "ReversingLabs"`,
      `status = "RELEASED"`,
      `sharing = "TLP:WHITE"`,
      `category = "MALWARE"`,
      `malware = "${family.toUpperCase()}"`,
      `description = "${description}"`,
      `tc_detection_type = "${d.pick(RL_KINDS)}"`,
      `tc_detection_name = "${family.toUpperCase()}"`,
      `tc_detection_factor = ${d.between(1, 5)}`,
    ];
  return [
    `description = "${description}"`,
    `author = "${d.pick(AUTHORS)}"`,
    `reference = "https://${d.pick(['www.virustotal.com/gui/file', 'github.com/Neo23x0/signature-base', 'blog.example.org/threat'])}/${d.hexDigits(16)}"`,
    `date = "${date(d)}"`,
    `modified = "${date(d)}"`,
    `hash1 = "${hash}"`,
    ...(d.chance(0.5) ? [`hash2 = "${d.hexDigits(64)}"`] : []),
    `score = ${d.between(40, 100)}`,
  ];
}

/** Private helpers that other rules of the file reference: file types and generic suspicious traits. */
function helperRules(d: Draw, prefix: string, file: FileState): string[] {
  const out: string[] = [];
  const kinds = d.between(1, 2);
  for (let k = 0; k < kinds; k++) {
    const name = `${prefix}_helper${k}`;
    const shape = d.between(0, 3);
    let rule: RuleShape;
    if (shape === 0)
      rule = {
        name,
        tags: [],
        meta: [],
        patterns: [],
        condition: 'uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550',
      };
    else if (shape === 1)
      rule = { name, tags: [], meta: [], patterns: [], condition: 'uint32(0) == 0x464C457F and filesize < 10MB' };
    else {
      // a generic trait: common names that clean files carry too (this is how real packs hit clean files)
      const patterns: Pattern[] = [];
      const count = d.between(3, 6);
      for (let i = 1; i <= count; i++) {
        const value = d.pick(COMMON_TEXT);
        patterns.push({
          id: `a${i}`,
          text: `${literal(value)}${d.chance(0.3) ? ' ascii wide' : ''}${d.chance(0.15) ? ' nocase' : ''}`,
        });
      }
      rule = { name, tags: [], meta: [], patterns, condition: `${d.between(2, 3)} of them` };
    }
    rule.private = true;
    file.helpers.push(name);
    out.push(printRule(rule));
  }
  return out;
}

interface PackStyle {
  name: string;
  style: 'sb' | 'rl' | 'el';
  /** share of all rules */
  share: number;
  rulesPerFile: [number, number];
}

const PACKS: PackStyle[] = [
  { name: 'signature-base', style: 'sb', share: 0.25, rulesPerFile: [3, 40] },
  { name: 'reversinglabs', style: 'rl', share: 0.2, rulesPerFile: [1, 6] },
  { name: 'elastic', style: 'el', share: 0.55, rulesPerFile: [1, 12] },
];

/** `rules` public rules in three packs of many files each, the same for the same seed. */
export function generatePacks({ rules, seed }: PackOptions): RulePack[] {
  if (!Number.isInteger(rules) || rules < 1) throw new Error(`rules must be a positive integer, not ${rules}`);
  const d = drawing(seed);
  let made = 0;
  let serial = 0;
  return PACKS.map((pack, index) => {
    const target = index === PACKS.length - 1 ? rules - made : Math.round(rules * pack.share);
    const files: RuleFile[] = [];
    let inPack = 0;
    while (inPack < target) {
      const family = d.pick(FAMILIES);
      const count = Math.min(target - inPack, d.between(...pack.rulesPerFile));
      const fileId = String(files.length).padStart(4, '0');
      const prefix = `${pack.style}${fileId}`;
      const state: FileState = { imports: new Set(), helpers: [] };
      const body = count >= 3 || pack.style === 'sb' ? helperRules(d, prefix, state) : [];
      const platform = d.pick(PLATFORMS);
      const kind = pack.style === 'rl' ? d.pick(RL_KINDS) : d.pick(ELASTIC_KINDS);
      for (let r = 0; r < count; r++) {
        serial++;
        const name =
          pack.style === 'sb'
            ? `${d.pick(SB_PREFIXES)}_${family}_${d.pick(WORDS)}_${String(serial).padStart(6, '0')}`
            : pack.style === 'rl'
              ? `${platform}_${kind}_${family}_${String(serial).padStart(6, '0')}`
              : `${platform === 'Linux' ? 'Linux' : 'Windows'}_${kind}_${family}_${d.hexDigits(8)}_${serial}`;
        const description = `Detects ${family} ${d.pick(WORDS)} ${d.pick(['samples', 'loader', 'payload', 'strings', 'in memory'])}`;
        let patterns: Pattern[] = [];
        let condition: string;
        if (d.chance(MIXTURE.stringless)) condition = stringlessCondition(d, state);
        else {
          patterns = drawPatterns(d, family, pack.style);
          condition = drawCondition(d, patterns, state);
        }
        const tags = pack.style === 'sb' ? [d.pick(SB_TOPICS), ...(d.chance(0.3) ? [family.toLowerCase()] : [])] : [];
        body.push(printRule({ name, tags, meta: meta(d, pack.style, family, description), patterns, condition }));
      }
      const imports = [...state.imports].sort().map((m) => `import "${m}"`);
      const folder = pack.style === 'sb' ? 'yara' : pack.style === 'rl' ? platform.toLowerCase() : 'rules';
      const fileName =
        pack.style === 'sb'
          ? `${d.pick(SB_TOPICS)}_${family.toLowerCase()}_${fileId}.yar`
          : pack.style === 'rl'
            ? `${platform}.${kind}.${family}_${fileId}.yara`
            : `${platform === 'Linux' ? 'Linux' : 'Windows'}_${kind}_${family}_${fileId}.yar`;
      files.push({
        path: `${pack.name}/${folder}/${fileName}`,
        namespace: `${pack.style}_${fileId}`,
        source: [...(imports.length ? [imports.join('\n'), ''] : []), body.join('\n\n'), ''].join('\n'),
        rules: body.length,
      });
      inPack += count;
    }
    made += inPack;
    return { name: pack.name, files };
  });
}
