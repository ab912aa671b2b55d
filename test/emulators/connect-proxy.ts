import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';

/**
 * An HTTP forward proxy on 127.0.0.1 that only tunnels (`CONNECT host:port`), the kind a carrier or a company
 * network puts between a device and the internet. It counts the tunnels it opens and where they go, so a test
 * can tell whether a client went through it; TLS stays end to end (mutual TLS included).
 */
export class ConnectProxy {
  /** Tunnels asked for, in order (`host:port`). */
  readonly connects: string[] = [];
  /** Plain (non-CONNECT) requests: a client that sent https through a proxy without tunnelling. */
  plainRequests = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  /** The proxy URL, e.g. `http://127.0.0.1:41234`. */
  async start(): Promise<string> {
    const server = createServer((_req, res) => {
      this.plainRequests += 1;
      res.writeHead(405, { 'content-type': 'text/plain' });
      res.end('this proxy only tunnels (CONNECT)\n');
    });
    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) =>
      this.tunnel(req, client, head),
    );
    server.on('connection', (socket: Socket) => this.track(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const target = req.url ?? '';
    this.connects.push(target);
    const match = /^([^:]+|\[[^\]]+\]):(\d+)$/.exec(target);
    if (!match) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const upstream = connect(Number(match[2]), match[1].replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.track(upstream);
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  }
}
