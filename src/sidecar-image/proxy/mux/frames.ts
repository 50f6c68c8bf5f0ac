/**
 * The frames of trellis-mux/1, the link between two Trellis proxies that carries many HTTP/1.1
 * connections over one mTLS connection (docs/proxy.md, "Between proxies"). Every frame is a 9-byte
 * header, type (u8), stream id (u32), payload length (u32), then the payload. Streams are opened by
 * the dialling proxy only, with increasing ids; the first frame of an id opens it.
 */

export const FrameType = {
  /** Payload: stream bytes. */
  data: 0,
  /** The sender will send no more bytes on the stream (a half-close). No payload. */
  end: 1,
  /** The stream is gone both ways (destroyed, or its connection failed). No payload. */
  reset: 2,
  /** Payload: u32, bytes the sender may now send more on the stream (flow control). */
  window: 3,
  /**
   * Stream id 0, no payload: the accepting side is draining. The dialling side opens no more
   * streams on this link (new ones go on a new link, or elsewhere); open ones finish.
   */
  goaway: 4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const headerBytes = 9;
/** The largest payload a frame may carry; longer writes are split. */
export const maxPayload = 64 * 1024;
/**
 * The bytes a stream may have in flight towards a reader that has not consumed them: a reader that
 * stops reading stops its sender after this much, as an HTTP/2 stream window does.
 */
export const streamWindow = 256 * 1024;
/** Streams one link may have open on the accepting side; a stream beyond it is reset at once. */
export const maxStreams = 1024;

/** A frame's header (its payload follows it separately, so payload bytes are never copied here). */
export function frameHeader(type: FrameType, id: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(headerBytes);
  h[0] = type;
  h.writeUInt32BE(id, 1);
  h.writeUInt32BE(length, 5);
  return h;
}

export function windowFrame(id: number, credit: number): Buffer {
  const f = Buffer.allocUnsafe(headerBytes + 4);
  f[0] = FrameType.window;
  f.writeUInt32BE(id, 1);
  f.writeUInt32BE(4, 5);
  f.writeUInt32BE(credit, 9);
  return f;
}

/**
 * Cuts frames out of the bytes as they arrive. A frame split across reads waits for the rest; a
 * frame that cannot be trellis-mux/1 (unknown type, oversized, malformed window) is an error.
 */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  /** Calls `onFrame` for every whole frame; returns an error message for bytes that are not frames. */
  feed(chunk: Buffer, onFrame: (type: FrameType, id: number, payload: Buffer) => void): string | undefined {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (buf.length >= headerBytes) {
      const type = buf[0] as number;
      const length = buf.readUInt32BE(5);
      if (type > FrameType.goaway) return `unknown frame type ${type}`;
      if (length > maxPayload) return `frame of ${length} bytes is over ${maxPayload}`;
      if (type === FrameType.window ? length !== 4 : type !== FrameType.data && length !== 0)
        return `frame type ${type} with a ${length}-byte payload`;
      if (buf.length < headerBytes + length) break;
      onFrame(type as FrameType, buf.readUInt32BE(1), buf.subarray(headerBytes, headerBytes + length));
      buf = buf.subarray(headerBytes + length);
    }
    this.#pending = buf;
    return undefined;
  }
}
