import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
const RCODE_NAME_ERROR = 3;
const RCODE_NOT_IMPLEMENTED = 4;

/** One question as the server received it. */
export interface DnsQuery {
  name: string;
  type: 'A' | 'AAAA' | number;
}

/**
 * A real DNS server on loopback (UDP) for tests: answers A and AAAA questions from the records a test sets, with a
 * TTL of 0, NXDOMAIN for names it does not know, and remembers every question. Point sigdesk at it with
 * `SIGDESK_WEBHOOKS_DNS_SERVERS: dns.address`. A record can be a function, asked on each question, so that a test
 * can answer differently from one question to the next (DNS rebinding).
 */
export class TestDnsServer {
  readonly queries: DnsQuery[] = [];
  private readonly records = new Map<string, string[] | ((query: DnsQuery) => string[])>();

  private constructor(private readonly socket: Socket) {}

  static async start(): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    const server = new TestDnsServer(socket);
    socket.on('message', (message, remote) => server.answer(message, remote));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return server;
  }

  /** `127.0.0.1:<port>`, as SIGDESK_WEBHOOKS_DNS_SERVERS takes it. */
  get address(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** The addresses (IPv4 and IPv6 mixed) a name resolves to; an empty list answers "no records" (not NXDOMAIN). */
  set(name: string, addresses: string[] | ((query: DnsQuery) => string[])): void {
    this.records.set(normalise(name), addresses);
  }

  delete(name: string): void {
    this.records.delete(normalise(name));
  }

  queriesFor(name: string): DnsQuery[] {
    return this.queries.filter((q) => q.name === normalise(name));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private answer(message: Buffer, remote: RemoteInfo): void {
    let question: { name: string; type: number; end: number };
    try {
      question = readQuestion(message);
    } catch {
      return; // not a DNS question: no answer, as a real server would drop it
    }
    const type = question.type === TYPE_A ? 'A' : question.type === TYPE_AAAA ? 'AAAA' : question.type;
    const query: DnsQuery = { name: question.name, type };
    this.queries.push(query);

    const record = this.records.get(question.name);
    let rcode = 0;
    let answers: Buffer[] = [];
    if (!record) rcode = RCODE_NAME_ERROR;
    else if (typeof type !== 'string') rcode = RCODE_NOT_IMPLEMENTED;
    else {
      const addresses = typeof record === 'function' ? record(query) : record;
      answers = addresses
        .filter((address) => (type === 'A' ? isIPv4(address) : isIPv6(address)))
        .map((address) => resourceRecord(question.type, Buffer.from(ipaddr.parse(address).toByteArray())));
    }

    const header = Buffer.alloc(12);
    message.copy(header, 0, 0, 2); // the id
    const recursionDesired = message[2] & 0x01;
    header.writeUInt16BE(0x8000 | (recursionDesired << 8) | 0x0080 | rcode, 2); // answer, RD copied, RA, rcode
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const reply = Buffer.concat([header, message.subarray(12, question.end), ...answers]);
    this.socket.send(reply, remote.port, remote.address);
  }
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function readQuestion(message: Buffer): { name: string; type: number; end: number } {
  if (message.length < 12 || message.readUInt16BE(4) < 1) throw new Error('no question');
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) throw new Error('bad name');
    offset += 1;
    if (length === 0) break;
    labels.push(message.subarray(offset, offset + length).toString('latin1'));
    offset += length;
  }
  if (offset + 4 > message.length || message.readUInt16BE(offset + 2) !== CLASS_IN) throw new Error('bad question');
  return { name: normalise(labels.join('.')), type: message.readUInt16BE(offset), end: offset + 4 };
}

function resourceRecord(type: number, data: Buffer): Buffer {
  const record = Buffer.alloc(12 + data.length);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  record.writeUInt16BE(type, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(0, 6); // TTL 0: every question reaches the server
  record.writeUInt16BE(data.length, 10);
  data.copy(record, 12);
  return record;
}
