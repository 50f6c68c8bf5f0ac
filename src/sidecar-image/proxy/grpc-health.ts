import { connect } from 'node:http2';
import { isIPv6 } from 'node:net';

/**
 * A minimal gRPC client for one call, `grpc.health.v1.Health/Check`, so the
 * proxy can run an app's gRPC probe without a gRPC library: h2c, one
 * length-prefixed protobuf message each way, the status from `grpc-status`.
 */

export const healthCheckPath = '/grpc.health.v1.Health/Check';

/** `HealthCheckResponse.ServingStatus`. */
export const servingStatus = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

export type HealthAnswer = { ok: true } | { ok: false; reason: string };

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/** `HealthCheckRequest { string service = 1; }` in a gRPC frame (uncompressed, 4-byte big-endian length). */
export function encodeHealthRequest(service: string): Buffer {
  const text = Buffer.from(service, 'utf8');
  // proto3 leaves a default (empty) string out entirely.
  const message =
    text.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(text.length), text]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function readVarint(buf: Buffer, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const byte = buf[i];
    if (byte === undefined) throw new Error('truncated varint');
    i++;
    // Field values here are small enums; bits past 2^53 cannot matter, only be skipped.
    if (shift < 53) value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return { value, next: i };
  }
}

/** The `status` (field 1) of a framed `HealthCheckResponse`; other fields are skipped. */
export function decodeHealthResponse(frame: Buffer): number {
  if (frame.length < 5) throw new Error('response shorter than a gRPC frame header');
  if (frame[0] !== 0) throw new Error('compressed response (none was offered)');
  const length = frame.readUInt32BE(1);
  if (frame.length < 5 + length) throw new Error('truncated gRPC message');
  const msg = frame.subarray(5, 5 + length);
  let status = 0;
  let i = 0;
  while (i < msg.length) {
    const key = readVarint(msg, i);
    const field = Math.floor(key.value / 8);
    const wire = key.value & 7;
    i = key.next;
    if (wire === 0) {
      const v = readVarint(msg, i);
      if (field === 1) status = v.value;
      i = v.next;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = readVarint(msg, i);
      i = len.next + len.value;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  if (i > msg.length) throw new Error('truncated protobuf field');
  return status;
}

/**
 * Calls Health/Check on host:port over h2c. SERVING is success; any other
 * status, a non-OK `grpc-status`, a broken answer or the deadline is a failure.
 */
export function checkGrpcHealth(
  host: string,
  port: number,
  service: string,
  timeoutMs: number,
): Promise<HealthAnswer> {
  return new Promise((resolve) => {
    const authority = `http://${isIPv6(host) ? `[${host}]` : host}:${port}`;
    const session = connect(authority);
    let settled = false;
    const finish = (answer: HealthAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(answer);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: `timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    session.on('error', (err) => finish({ ok: false, reason: err.message }));

    const stream = session.request({
      ':method': 'POST',
      ':path': healthCheckPath,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${timeoutMs}m`,
    });
    const chunks: Buffer[] = [];
    let httpStatus = 0;
    // A trailers-only answer (an error) carries grpc-status in the headers.
    let grpcStatus: string | undefined;
    let grpcMessage: string | undefined;
    const take = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    stream.on('response', (headers) => {
      httpStatus = Number(headers[':status']);
      take(headers);
    });
    stream.on('trailers', take);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (err) => finish({ ok: false, reason: err.message }));
    stream.on('end', () => {
      if (httpStatus !== 200) return finish({ ok: false, reason: `HTTP/2 status ${httpStatus}` });
      if (grpcStatus === undefined) return finish({ ok: false, reason: 'no grpc-status in the answer' });
      if (grpcStatus !== '0') {
        return finish({
          ok: false,
          reason: `grpc-status ${grpcStatus}${grpcMessage ? ` (${grpcMessage})` : ''}`,
        });
      }
      let code: number;
      try {
        code = decodeHealthResponse(Buffer.concat(chunks));
      } catch (err) {
        return finish({ ok: false, reason: `bad HealthCheckResponse: ${(err as Error).message}` });
      }
      finish(
        code === 1 ? { ok: true } : { ok: false, reason: `health status ${servingStatus[code] ?? code}` },
      );
    });
    stream.end(encodeHealthRequest(service));
  });
}
