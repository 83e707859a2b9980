// One HTTP listener: fastify owns the socket, the lifecycle and the
// operational endpoints; every other request goes to the proxy handler on
// the raw request/response (routing happens in our own router, before any
// body is read).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ListenerAddress } from './config.js';

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface OpsEndpoints {
  healthz(): { status: number; body: unknown };
  readyz(): { status: number; body: unknown };
  metrics(): Promise<{ contentType: string; body: string }>;
}

/**
 * Requests Node's HTTP parser refuses (an unknown method, a malformed
 * request line or header) never reach a handler; they still get the
 * google.rpc.Status envelope every other error has.
 */
function answerMalformedRequest(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    code: tooLarge ? 8 : 3,
    message: `malformed HTTP request: ${err.code ?? err.message}`,
    details: [],
  });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

// While closing, how often connections that finished their last request are closed.
const IDLE_SWEEP_MS = 50;

export class HttpListener {
  private readonly app: FastifyInstance;
  private closing = false;

  constructor(readonly address: ListenerAddress, proxyHandler: RawHandler, ops?: OpsEndpoints) {
    this.app = Fastify({
      logger: false,
      forceCloseConnections: 'idle',
      clientErrorHandler: answerMalformedRequest,
      serverFactory: (fastifyHandler) =>
        createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
          // A request that arrives while closing is served, and its connection closed after it.
          if (this.closing) res.setHeader('connection', 'close');
          if (ops && req.method === 'GET' && OPS_PATHS.has(pathOf(req.url))) fastifyHandler(req, res);
          else void proxyHandler(req, res);
        }),
    });
    if (ops) {
      this.app.get('/healthz', async (_req, reply) => {
        const r = ops.healthz();
        return reply.code(r.status).send(r.body);
      });
      this.app.get('/readyz', async (_req, reply) => {
        const r = ops.readyz();
        return reply.code(r.status).send(r.body);
      });
      this.app.get('/metrics', async (_req, reply) => {
        const m = await ops.metrics();
        return reply.type(m.contentType).send(m.body);
      });
    }
  }

  async listen(): Promise<ListenerAddress> {
    await this.app.listen({ host: this.address.host, port: this.address.port });
    const addr = this.app.server.address();
    if (addr && typeof addr === 'object') return { host: this.address.host, port: addr.port };
    return this.address;
  }

  /** Stops accepting, lets in-flight requests finish, then closes. */
  close(): Promise<void> {
    this.closing = true;
    // Node closes the kept-alive connections that are idle when closing starts; those busy then
    // would stay open until their keep-alive timeout, so they are closed as they become idle.
    const sweep = setInterval(() => this.app.server.closeIdleConnections(), IDLE_SWEEP_MS);
    return this.app.close().finally(() => clearInterval(sweep));
  }
}
