// Forwards a client-streaming request body to its gRPC call while the body
// arrives: each top-level JSON value becomes a message the moment it is
// complete, so a long upload reaches the pattern as it is being sent.
import type { IncomingMessage } from 'node:http';
import { ProxyError, proxyErrors } from '../errors/catalogue.js';
import type { ClientStreamCall } from '../grpc/channel.js';
import type { Message, StreamBinding } from '../mapping/request-binder.js';

/**
 * Writes the body's messages to `call` and half-closes it. On any failure (bad JSON, the size
 * limit, the client leaving) the call is cancelled and the error rethrown, the client's
 * departure as client_closed.
 */
export async function forwardRequestBody(
  req: IncomingMessage,
  binding: StreamBinding,
  call: ClientStreamCall,
  encode: (message: Message) => Uint8Array,
): Promise<void> {
  try {
    // Pulling chunks one at a time is the backpressure: while a write waits for drain() nothing
    // more is read. Leaving the request undestroyed when we stop early keeps its socket for the error reply.
    for await (const chunk of req.iterator({ destroyOnReturn: false })) {
      await send(call, binding.push(chunk as Buffer), encode);
    }
    await send(call, binding.end(), encode);
    call.end();
  } catch (err) {
    call.cancel();
    if (err instanceof ProxyError) {
      // Discard the rest of the body so the error reply can go out.
      req.resume();
      throw err;
    }
    if (req.destroyed) throw proxyErrors.clientClosed();
    throw err;
  }
}

async function send(call: ClientStreamCall, messages: Message[], encode: (message: Message) => Uint8Array): Promise<void> {
  for (const message of messages) {
    if (!call.write(encode(message))) await call.drain();
  }
}
