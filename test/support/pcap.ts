/**
 * A tiny pcap writer for replaying traffic through Suricata in tests: Ethernet, IPv4 or IPv6, TCP with a full
 * three-way handshake, then one client payload (a TLS ClientHello carrying an SNI, or an HTTP/1.1 request)
 * and the server's acknowledgement. Checksums are correct, so Suricata needs no `-k none` to read the flows.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** One TCP conversation: the client sends `payload` (maybe empty) after the handshake. */
export interface TcpFlow {
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly payload: Uint8Array;
}

const encoder = new TextEncoder();

/** A TLS 1.2 record holding a ClientHello whose server_name extension carries `sni`, byte for byte. */
export function tlsClientHello(sni: string): Uint8Array {
  const name = encoder.encode(sni);
  const serverName = concat([u8(0), u16(name.length), name]);
  const sniExtension = concat([u16(0x0000), u16(serverName.length + 2), u16(serverName.length), serverName]);
  const body = concat([
    u16(0x0303),
    new Uint8Array(32).fill(7),
    u8(0),
    u16(4),
    u16(0xc02f),
    u16(0x1301),
    u8(1),
    u8(0),
    u16(sniExtension.length),
    sniExtension,
  ]);
  const handshake = concat([u8(0x01), u24(body.length), body]);
  return concat([u8(0x16), u16(0x0301), u16(handshake.length), handshake]);
}

/** An HTTP/1.1 GET of `/` with the given `Host` header value, byte for byte. */
export function httpGet(host: string): Uint8Array {
  return encoder.encode(`GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n`);
}

/** A classic pcap file (microsecond timestamps, Ethernet link type) holding every flow, one after another. */
export function writePcap(flows: readonly TcpFlow[]): Uint8Array {
  const header = concat([le32(0xa1b2c3d4), le16(2), le16(4), le32(0), le32(0), le32(65535), le32(1)]);
  const records: Uint8Array[] = [header];
  let tick = 1_700_000_000_000_000n;
  for (const flow of flows) {
    for (const frame of framesOf(flow)) {
      tick += 1000n;
      const seconds = Number(tick / 1_000_000n);
      const micros = Number(tick % 1_000_000n);
      records.push(concat([le32(seconds), le32(micros), le32(frame.length), le32(frame.length), frame]));
    }
  }
  return concat(records);
}

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;

function framesOf(flow: TcpFlow): Uint8Array[] {
  const clientIsn = 1000;
  const serverIsn = 5000;
  const out = (seq: number, ack: number, flags: number, payload: Uint8Array = new Uint8Array()) =>
    frame(flow.client, flow.server, tcp(flow.clientPort, flow.serverPort, seq, ack, flags, payload));
  const back = (seq: number, ack: number, flags: number) =>
    frame(flow.server, flow.client, tcp(flow.serverPort, flow.clientPort, seq, ack, flags, new Uint8Array()));
  const frames = [
    out(clientIsn, 0, SYN),
    back(serverIsn, clientIsn + 1, SYN | ACK),
    out(clientIsn + 1, serverIsn + 1, ACK),
  ];
  if (flow.payload.length > 0) {
    frames.push(out(clientIsn + 1, serverIsn + 1, PSH | ACK, flow.payload));
    frames.push(back(serverIsn + 1, clientIsn + 1 + flow.payload.length, ACK));
  }
  return frames;
}

interface TcpSegment {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
}

function tcp(
  sourcePort: number,
  destinationPort: number,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array,
): TcpSegment {
  const header = concat([u16(sourcePort), u16(destinationPort), u32(seq), u32(ack), u8(5 << 4), u8(flags)]);
  return {
    sourcePort,
    destinationPort,
    header: concat([header, u16(65535), u16(0), u16(0)]),
    payload,
  };
}

function frame(source: string, destination: string, segment: TcpSegment): Uint8Array {
  const v6 = isIPv6(source);
  if (v6 !== isIPv6(destination) || (!v6 && !(isIPv4(source) && isIPv4(destination)))) {
    throw new Error(`${source} → ${destination}: both ends must be IPv4 or both IPv6`);
  }
  const src = v6 ? ipv6Bytes(source) : ipv4Bytes(source);
  const dst = v6 ? ipv6Bytes(destination) : ipv4Bytes(destination);
  const tcpLength = segment.header.length + segment.payload.length;
  const pseudo = v6
    ? concat([src, dst, u32(tcpLength), u8(0), u8(0), u8(0), u8(6)])
    : concat([src, dst, u8(0), u8(6), u16(tcpLength)]);
  const segmentBytes = concat([segment.header, segment.payload]);
  const sum = checksum(concat([pseudo, segmentBytes]));
  segmentBytes[16] = sum >> 8;
  segmentBytes[17] = sum & 0xff;
  const ip = v6
    ? concat([u32(0x60000000), u16(tcpLength), u8(6), u8(64), src, dst])
    : ipv4Header(src, dst, tcpLength);
  const ethernet = concat([
    Uint8Array.of(0x02, 0, 0, 0, 0, 2),
    Uint8Array.of(0x02, 0, 0, 0, 0, 1),
    u16(v6 ? 0x86dd : 0x0800),
  ]);
  return concat([ethernet, ip, segmentBytes]);
}

function ipv4Header(src: Uint8Array, dst: Uint8Array, payloadLength: number): Uint8Array {
  const header = concat([
    u8(0x45),
    u8(0),
    u16(20 + payloadLength),
    u16(0),
    u16(0x4000),
    u8(64),
    u8(6),
    u16(0),
    src,
    dst,
  ]);
  const sum = checksum(header);
  header[10] = sum >> 8;
  header[11] = sum & 0xff;
  return header;
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Uint8Array {
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return concat(groups.map((group) => u16(Number.parseInt(group, 16))));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const u8 = (value: number) => Uint8Array.of(value & 0xff);
const u16 = (value: number) => Uint8Array.of((value >> 8) & 0xff, value & 0xff);
const u24 = (value: number) => Uint8Array.of((value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
const u32 = (value: number) =>
  Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
const le16 = (value: number) => Uint8Array.of(value & 0xff, (value >> 8) & 0xff);
const le32 = (value: number) =>
  Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
