import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.js';

export interface HttpLimits {
  /** Whole request head must arrive within this (slowloris guard). */
  headersTimeoutMs: number;
  /** Idle time allowed between requests on a kept-alive connection. */
  keepAliveTimeoutMs: number;
  maxHeaderSize: number;
}

export const defaultHttpLimits: HttpLimits = {
  headersTimeoutMs: 15_000,
  keepAliveTimeoutMs: 60_000,
  maxHeaderSize: 16_384,
};

export type RequestHandler<T> = (req: IncomingMessage, res: ServerResponse, info: T) => void;
export type UpgradeHandler<T> = (req: IncomingMessage, socket: Duplex, head: Buffer, info: T) => void;

/**
 * The HTTP/1.1 parsing side of the proxy: streams that were sniffed as HTTP
 * are handed in with `accept`, each with what the listener learned about it
 * (`info`), and come out as requests. Malformed requests get 400, oversized
 * heads 431, slow heads 408, all counted; a drain closes idle connections
 * and answers in-flight requests with `Connection: close`.
 */
export function createHttpFront<T>(
  ctx: ProxyContext,
  direction: 'inbound' | 'outbound',
  onRequest: RequestHandler<T>,
  onUpgrade: UpgradeHandler<T>,
  limits: HttpLimits = defaultHttpLimits,
) {
  const infoOf = new WeakMap<Duplex, T>();
  const inFlight = new WeakMap<Duplex, number>();
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      noDelay: true,
    },
    (req, res) => {
      const socket = req.socket;
      const info = infoOf.get(socket);
      if (info === undefined) return res.destroy();
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      if (ctx.tracker.draining) res.shouldKeepAlive = false;
      res.once('close', () => {
        const left = (inFlight.get(socket) ?? 1) - 1;
        inFlight.set(socket, left);
        if (left === 0 && ctx.tracker.draining) socket.end();
      });
      onRequest(req, res, info);
    },
  );
  // Streams reach this server by 'connection' events, never by listen(); node arms its
  // headers timeout only on 'listening', so announce it.
  server.emit('listening');
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (err.code !== 'ECONNRESET')
      ctx.metrics.httpClientErrors.inc({ direction, response_code: String(status) });
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${status} ${statusText[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    } else {
      socket.destroy();
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const info = infoOf.get(socket);
    if (info === undefined) return socket.destroy();
    onUpgrade(req, socket, head, info);
  });

  return {
    accept(stream: Duplex, info: T): void {
      infoOf.set(stream, info);
      ctx.tracker.add(stream, {
        drain: () => {
          if ((inFlight.get(stream) ?? 0) === 0) stream.end();
        },
      });
      server.emit('connection', stream);
      // The sniffer paused the stream with its first bytes put back; the parser may read
      // the socket's handle directly, so those bytes only reach it as 'data' on resume.
      stream.resume();
    },
    close(): void {
      server.close();
    },
  };
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};
