/**
 * The ALPN protocols a TLS ClientHello offers, read from its first record;
 * undefined when the bytes are not a whole, well-formed ClientHello record.
 * The inbound listener uses it to tell mesh mTLS (Trellis ALPN values) from
 * TLS the app terminates itself.
 */
export function offeredAlpn(record: Buffer): string[] | undefined {
  try {
    if (record[0] !== 0x16 || record.length < 5) return undefined;
    const recordEnd = 5 + record.readUInt16BE(3);
    if (record.length < recordEnd || record[5] !== 0x01) return undefined;
    let at = 5 + 4 + 2 + 32; // handshake header, legacy version, random
    at += 1 + (record[at] ?? 0); // session id
    at += 2 + record.readUInt16BE(at); // cipher suites
    at += 1 + (record[at] ?? 0); // compression methods
    if (at + 2 > recordEnd) return [];
    const extEnd = Math.min(recordEnd, at + 2 + record.readUInt16BE(at));
    at += 2;
    while (at + 4 <= extEnd) {
      const type = record.readUInt16BE(at);
      const len = record.readUInt16BE(at + 2);
      at += 4;
      if (type === 16) {
        const names: string[] = [];
        const listEnd = at + 2 + record.readUInt16BE(at);
        let p = at + 2;
        while (p < listEnd && p < extEnd) {
          const n = record[p] ?? 0;
          names.push(record.toString('latin1', p + 1, p + 1 + n));
          p += 1 + n;
        }
        return names;
      }
      at += len;
    }
    return [];
  } catch {
    // A length that points past the buffer: not a ClientHello we can read.
    return undefined;
  }
}
