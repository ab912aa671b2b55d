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

/** A route's answer: a status and a JSON body (a string body is sent as is). */
export interface EmulatorAnswer {
  readonly status: number;
  readonly body: unknown;
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
      const fault = this.faults.take();
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'status') {
        this.send(res, { status: fault.status, body: fault.body ?? { message: STATUS_CODES[fault.status] } });
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
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}

/** Expiration `seconds` from now, in the ISO form AWS answers with (no fractional seconds). */
export function isoIn(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What a malformed answer looks like: JSON cut off half way, the way a dropped cellular link leaves it. */
export const MALFORMED_BODY = '{"credentials":{"accessKeyId":"S3RVER","secretAccessKey":"S3R';
