import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { Fault, FaultSwitch } from './fault-switch';

/** Where a started emulator listens. */
export interface Endpoint {
  readonly url: string;
  readonly port: number;
}

/** TLS material for an emulator: its certificate, and for mTLS the CA that client certificates must chain to. */
export interface EmulatorTls {
  readonly certPem: string;
  readonly keyPem: string;
  /** When set, clients must present a certificate signed by this CA (the TLS handshake fails otherwise). */
  readonly clientCaPem?: string;
}

/** A request as an emulator route sees it, with the body already read. */
export interface EmulatorRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** SHA-256 fingerprint of the client certificate, when one was presented. */
  readonly clientFingerprint256?: string;
}

/** A route's answer: a status and a JSON body (a string or Buffer body is sent as is). */
export interface EmulatorAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Send the body without a Content-Length (chunked transfer encoding). @default false */
  readonly chunked?: boolean;
}

/** What a `flood` fault managed to send before the client stopped reading. */
export interface FloodRecord {
  /** Bytes handed to the socket (some may still sit in kernel buffers when the client hangs up). */
  sent: number;
  /** True once the whole body was sent: the client read it all. */
  finished: boolean;
  /** True once the connection closed. */
  closed: boolean;
}

/**
 * The part every emulator shares: HTTPS on 127.0.0.1 with a free port, a request counter, a fault switch
 * applied before the route runs, and a stop() that also ends connections a `delay` fault is holding open.
 */
export abstract class EmulatorServer {
  /** Faults for the next requests; see {@link Fault}. */
  readonly faults = new FaultSwitch();
  /** Requests received, faulty ones included. */
  requests = 0;
  /** The last request received (headers included), faulty ones included. */
  lastRequest: EmulatorRequest | undefined;
  /** The last `flood` fault served. */
  lastFlood: FloodRecord | undefined;
  /**
   * How far this endpoint's clock is from the machine's, in seconds: its `Date` header says so (the credentials
   * it issues are unaffected). `undefined` sends no `Date` header at all. @default 0
   */
  dateOffsetSeconds: number | undefined = 0;
  private server: Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  protected constructor(private readonly tls: EmulatorTls) {}

  async start(): Promise<Endpoint> {
    const server = createServer(
      {
        cert: this.tls.certPem,
        key: this.tls.keyPem,
        ca: this.tls.clientCaPem,
        requestCert: this.tls.clientCaPem !== undefined,
        rejectUnauthorized: this.tls.clientCaPem !== undefined,
      },
      (req, res) => this.serve(req, res),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return { url: `https://127.0.0.1:${port}`, port };
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The route: answer a request that no fault intercepted. `fault` is `malformed` or `expired` when set. */
  protected abstract route(request: EmulatorRequest, fault?: Fault): EmulatorAnswer;

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.requests += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
      const request: EmulatorRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        clientFingerprint256: peer && 'fingerprint256' in peer ? peer.fingerprint256 : undefined,
      };
      this.lastRequest = request;
      const fault = this.faults.take();
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'status') {
        this.send(res, {
          status: fault.status,
          body: fault.body ?? { message: STATUS_CODES[fault.status] },
          chunked: fault.chunked,
        });
        return;
      }
      if (fault?.kind === 'flood') {
        this.flood(res, fault.status, fault.bytes, fault.chunked);
        return;
      }
      if (fault?.kind === 'delay') {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!res.destroyed) this.send(res, this.route(request));
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      this.send(res, this.route(request, fault));
    });
  }

  private send(res: ServerResponse, answer: EmulatorAnswer): void {
    const body = Buffer.isBuffer(answer.body)
      ? answer.body
      : Buffer.from(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    this.dateHeader(res);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.chunked ? {} : { 'content-length': body.length }),
    });
    res.end(body);
  }

  /** Node sends the machine's time as `Date` unless told otherwise. */
  private dateHeader(res: ServerResponse): void {
    if (this.dateOffsetSeconds === undefined) {
      res.sendDate = false;
    } else if (this.dateOffsetSeconds !== 0) {
      res.setHeader('date', new Date(Date.now() + this.dateOffsetSeconds * 1000).toUTCString());
    }
  }

  /** `bytes` of a JSON-looking body in 16 KiB chunks, as fast as the client reads them. */
  private flood(res: ServerResponse, status: number, bytes: number, chunked: boolean): void {
    const record: FloodRecord = { sent: 0, finished: false, closed: false };
    this.lastFlood = record;
    const chunk = Buffer.alloc(16384, 'x');
    res.on('close', () => {
      record.closed = true;
    });
    this.dateHeader(res);
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(chunked ? {} : { 'content-length': bytes }),
    });
    const write = (): void => {
      while (record.sent < bytes) {
        if (res.destroyed) return;
        const piece = chunk.subarray(0, Math.min(chunk.length, bytes - record.sent));
        record.sent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', write);
          return;
        }
      }
      record.finished = true;
      res.end();
    };
    write();
  }
}

/** Expiration `seconds` from now, in the ISO form AWS answers with (no fractional seconds). */
export function isoIn(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What a malformed answer looks like: JSON cut off half way, the way a dropped cellular link leaves it. */
export const MALFORMED_BODY = '{"credentials":{"accessKeyId":"S3RVER","secretAccessKey":"S3R';
