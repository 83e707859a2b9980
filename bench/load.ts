// Closed-loop load generators, each run as its own process so its CPU is not
// the measured side's: `concurrency` requests always in flight, a warm-up
// that is not recorded, then `duration` seconds recorded. Prints one JSON
// line (LoadResult).
//   node dist/bench/load.js http  URL          CONCURRENCY WARMUP_S DURATION_S
//   node dist/bench/load.js grpc  HOST:PORT KEY CONCURRENCY WARMUP_S DURATION_S
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Pool } from 'undici';
import { shippedRoot } from '../src/protos/root.js';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50Us: number;
  p99Us: number;
  /** This process's CPU per successful request (for the gRPC client: the client's own cost). */
  cpuUsPerRequest: number;
}

type Send = (done: (ok: boolean) => void) => void;

/** Keeps `concurrency` sends in flight for `seconds`; latencies in µs when recording. */
function closedLoop(send: Send, concurrency: number, seconds: number, latencies?: number[]): Promise<{ ok: number; errors: number; seconds: number }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const end = started + BigInt(Math.round(seconds * 1e9));
    let ok = 0;
    let errors = 0;
    let active = 0;
    const one = (): void => {
      const t0 = process.hrtime.bigint();
      active++;
      send((success) => {
        const t1 = process.hrtime.bigint();
        active--;
        if (success) ok++;
        else errors++;
        latencies?.push(Number(t1 - t0) / 1000);
        if (t1 < end) one();
        else if (active === 0) resolve({ ok, errors, seconds: Number(t1 - started) / 1e9 });
      });
    };
    for (let i = 0; i < concurrency; i++) one();
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(send: Send, concurrency: number, warmupS: number, durationS: number): Promise<LoadResult> {
  if (warmupS > 0) await closedLoop(send, concurrency, warmupS);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const run = await closedLoop(send, concurrency, durationS, latencies);
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: run.ok,
    errors: run.errors,
    seconds: run.seconds,
    p50Us: Math.round(percentile(sorted, 50)),
    p99Us: Math.round(percentile(sorted, 99)),
    cpuUsPerRequest: run.ok === 0 ? 0 : Math.round((cpu.user + cpu.system) / run.ok),
  };
}

function httpSender(url: string, concurrency: number): { send: Send; close(): Promise<void> } {
  const { origin, pathname, search } = new URL(url);
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const path = pathname + search;
  return {
    send: (done) => {
      pool.request({ path, method: 'GET' }).then(
        async (res) => {
          await res.body.dump();
          done(res.statusCode === 200);
        },
        () => done(false),
      );
    },
    close: () => pool.close(),
  };
}

/** A bare @grpc/grpc-js client: protobufjs encode/decode and nothing else. */
function grpcSender(target: string, key: string): { send: Send; close(): Promise<void> } {
  const root = shippedRoot();
  const request = root.lookupType('prism.interfaces.keyvalue.GetRequest');
  const response = root.lookupType('prism.interfaces.keyvalue.GetResponse');
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const path = '/prism.interfaces.keyvalue.KeyValueBasicInterface/Get';
  const serialize = (m: object): Buffer => Buffer.from(request.encode(m).finish());
  const deserialize = (b: Buffer): object => response.decode(b);
  const message = { key };
  return {
    send: (done) => {
      client.makeUnaryRequest(path, serialize, deserialize, message, (err) => done(!err));
    },
    close: async () => client.close(),
  };
}

async function main(argv: string[]): Promise<void> {
  const [kind, target, ...rest] = argv;
  let sender: { send: Send; close(): Promise<void> };
  let numbers: number[];
  if (kind === 'http') {
    numbers = rest.map(Number);
    sender = httpSender(target, numbers[0]);
  } else if (kind === 'grpc') {
    numbers = rest.slice(1).map(Number);
    sender = grpcSender(target, rest[0]);
  } else {
    throw new Error('usage: load.js http URL CONCURRENCY WARMUP_S DURATION_S | grpc HOST:PORT KEY CONCURRENCY WARMUP_S DURATION_S');
  }
  const [concurrency, warmupS, durationS] = numbers;
  const result = await measure(sender.send, concurrency, warmupS, durationS);
  await sender.close();
  console.log(JSON.stringify(result));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
