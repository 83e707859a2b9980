// One long-lived HTTP/2 session per pattern endpoint, shared by every call forwarded there, and
// opened lazily. A session that fails, closes or is told to go away is dropped at once, so the
// next call connects afresh: a pattern that comes back is used again without waiting out a backoff.
import http2, { type ClientHttp2Session } from 'node:http2';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from './windows.js';

const SESSION_OPTIONS: http2.ClientSessionOptions = {
  settings: { enablePush: false, initialWindowSize: STREAM_WINDOW_BYTES },
};

export class UpstreamPool {
  private readonly sessions = new Map<string, Promise<ClientHttp2Session>>();
  private closed = false;

  constructor(private readonly connectTimeoutMs: number) {}

  /**
   * The session to `endpoint` (host:port) once the pattern's SETTINGS arrived, or a rejection saying
   * why there is none. Concurrent callers share one connection attempt.
   */
  session(endpoint: string): Promise<ClientHttp2Session> {
    if (this.closed) return Promise.reject(new Error('the proxy is shutting down'));
    let session = this.sessions.get(endpoint);
    if (session === undefined) {
      try {
        session = this.connect(endpoint);
      } catch (error) {
        // http2.connect throws for an endpoint that is not a valid URL authority.
        return Promise.reject(error as Error);
      }
      this.sessions.set(endpoint, session);
    }
    return session;
  }

  /** Refuses new calls, then closes each session once its streams have ended. */
  async close(): Promise<void> {
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((ready) => ready.then(closeSession, ignoreFailure)));
  }

  private connect(endpoint: string): Promise<ClientHttp2Session> {
    const session = http2.connect(`http://${endpoint}`, SESSION_OPTIONS);
    // Ready means the pattern's SETTINGS arrived, not just a TCP connect: a hung process still accepts connections.
    const ready = new Promise<ClientHttp2Session>((resolve, reject) => {
      const timer = setTimeout(abandonConnect, this.connectTimeoutMs, session, this.connectTimeoutMs);
      session.once('remoteSettings', () => {
        clearTimeout(timer);
        resolve(session);
      });
      session.once('error', reject);
      session.once('close', () => {
        clearTimeout(timer);
        reject(new Error('connection closed before the HTTP/2 handshake'));
      });
    });
    // Every caller handles the rejection; this only keeps an attempt nobody waits for any more from counting as unhandled.
    ready.catch(ignoreFailure);
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    const forget = (): void => {
      if (this.sessions.get(endpoint) === ready) this.sessions.delete(endpoint);
    };
    session.on('error', forget);
    session.once('goaway', forget);
    session.once('close', forget);
    return ready;
  }
}

function abandonConnect(session: ClientHttp2Session, timeoutMs: number): void {
  session.destroy(new Error(`no HTTP/2 handshake within ${timeoutMs} ms`));
}

function closeSession(session: ClientHttp2Session): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    // close() is a no-op on a session already closing, which still emits 'close' when done.
    session.once('close', resolve);
    session.close();
  });
}

function ignoreFailure(): void {}
