// Reads a request body after routing, with the route's size limit: a
// declared Content-Length over the limit is refused before reading.
import type { IncomingMessage } from 'node:http';
import { proxyErrors } from '../errors/catalogue.js';
import { declaresBody } from '../mapping/request-binder.js';

/** Whether the declared Content-Length is over `limit`; such a body is discarded unread. */
export function declaredOverLimit(req: IncomingMessage, limit: number): boolean {
  const declared = req.headers['content-length'];
  const over = declared !== undefined && Number(declared) > limit;
  if (over) req.resume();
  return over;
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (!declaresBody(req.headers)) return Promise.resolve(undefined);
  if (declaredOverLimit(req, limit)) return Promise.reject(proxyErrors.bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(proxyErrors.bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', (err) => reject(proxyErrors.badBody('body', `request body could not be read: ${err.message}`)));
  });
}
