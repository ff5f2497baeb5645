/**
 * The simple rule generator of the build benchmarks (bench/database-build.ts): every pattern carries 12–16 random
 * bytes or hex digits, so YARA-X finds a rare atom in each and real files scan fast. bench/rule-packs.ts sets it
 * beside the realistic packs of realistic-rules.ts to show the difference.
 */
import { prng } from './harness';

export interface GeneratedRule {
  name: string;
  source: string;
  tags: string[];
  /** for rules whose condition is `2 of them`: the bytes of $s1 and $s2, which together make a file match */
  texts?: string[];
}

const FAMILIES = [
  'Emotet', 'Qakbot', 'AgentTesla', 'Formbook', 'Remcos', 'AsyncRAT', 'Lokibot', 'IcedID', 'Raccoon', 'RedLine',
  'Vidar', 'NjRAT', 'DarkGate', 'Pikabot', 'Lumma', 'SmokeLoader', 'Amadey', 'Stealc', 'XWorm', 'Mirai',
]; // prettier-ignore
const KINDS = ['Trojan', 'Backdoor', 'Ransom', 'Stealer', 'Downloader', 'Dropper', 'Worm', 'Exploit'];
const PLATFORMS = ['Win32', 'Win64', 'MSIL', 'Linux', 'Script'];
const WORDS = [
  'invoke', 'payload', 'stager', 'beacon', 'loader', 'inject', 'persist', 'keylog', 'exfil', 'token', 'shell',
  'crypt', 'ransom', 'miner', 'update', 'service', 'registry', 'socket', 'config', 'panel', 'gate', 'bot',
]; // prettier-ignore
/** Conditions that use every string of a rule (YARA-X refuses unused patterns): all need strings to match. */
const CONDITIONS = [
  '2 of them',
  'uint16(0) == 0x5A4D and filesize < 8MB and 2 of them',
  'any of ($h*) and any of ($s*)',
  'all of ($h*) or 2 of ($s*)',
  'uint16(0) == 0x5A4D and any of ($h*) and any of ($s*)',
  '3 of them',
  '#h1 > 0 and any of ($s*) or 2 of ($h*)',
];

/**
 * `count` distinct rules of the usual shape: a meta block, two or three hex strings of 12–16 random bytes (some
 * with a wildcard or a jump between runs of at least 6 bytes), two or three text strings carrying 12–16 random hex
 * digits (some `wide`, some `nocase`), and a condition such as `2 of them`. The random parts make sure none of them
 * matches the corpus or the case sample.
 */
export function generateRules(count: number, seed: number): GeneratedRule[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const bytes = (n: number) =>
    Array.from({ length: n }, () =>
      Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join(' ');
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const hexString = () => {
    const length = between(12, 16);
    const shape = random();
    if (shape < 0.6) return `{ ${bytes(length)} }`;
    const left = between(6, length - 6);
    return shape < 0.8
      ? `{ ${bytes(left)} ?? ${bytes(length - left)} }`
      : `{ ${bytes(left)} [2-6] ${bytes(length - left)} }`;
  };
  const rules: GeneratedRule[] = [];
  for (let i = 0; i < count; i++) {
    const family = pick(FAMILIES);
    const kind = pick(KINDS);
    const platform = pick(PLATFORMS);
    const name = `${kind}_${platform}_${family}_${String(i).padStart(6, '0')}_${digits(4)}`;
    const tags = [kind.toLowerCase(), platform.toLowerCase()];
    const condition = CONDITIONS[i % CONDITIONS.length];
    // the same draws in the same order as before, so that a seed still gives the same rules
    const h1 = hexString();
    const h2 = hexString();
    const h3 = random() < 0.5 ? [`        $h3 = ${hexString()}`] : [];
    const s1 = `${pick(WORDS)}_${digits(between(12, 16))}.dll`;
    const s1Modifiers = `ascii${random() < 0.3 ? ' wide' : ''}`;
    const s2 = `Global\\${digits(16)}`;
    const strings = [
      `        $h1 = ${h1}`,
      `        $h2 = ${h2}`,
      ...h3,
      `        $s1 = "${s1}" ${s1Modifiers}`,
      `        $s2 = "${s2.replace('\\', '\\\\')}"${random() < 0.2 ? ' nocase' : ''}`,
      ...(random() < 0.5 ? [`        $s3 = "/${pick(WORDS)}/${digits(12)}.php?id="`] : []),
    ];
    const source = [
      `rule ${name} : ${tags.join(' ')}`,
      '{',
      '    meta:',
      `        description = "${family} ${kind.toLowerCase()} for ${platform}, generated for the database-build benchmark"`,
      '        author = "sigdesk bench"',
      `        date = "2026-${String(between(1, 11)).padStart(2, '0')}-${String(between(1, 28)).padStart(2, '0')}"`,
      `        hash = "${digits(64)}"`,
      `        score = ${between(40, 100)}`,
      '    strings:',
      ...strings,
      '    condition:',
      `        ${condition}`,
      '}',
    ].join('\n');
    rules.push({ name, source, tags, texts: condition === '2 of them' ? [s1, s2] : undefined });
  }
  return rules;
}
