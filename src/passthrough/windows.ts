// HTTP/2 flow-control windows on both hops. Node's defaults (64 KiB) make one connection shared by
// many calls a bottleneck for large messages; these bound how much one stream or one connection may
// have in flight (and so buffered in the proxy) while the reader on the other side is slower.
export const STREAM_WINDOW_BYTES = 1024 * 1024;
export const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
