// google.rpc.Status details carried in the `grpc-status-details-bin` trailer,
// so that clients read validation problems structurally instead of parsing
// the status message.
import { Metadata } from '@grpc/grpc-js';
import { shippedRoot } from '../protos/root.js';
import type { Problem } from './validation.js';

const DETAILS_KEY = 'grpc-status-details-bin';
const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

function types() {
  const root = shippedRoot();
  return { status: root.lookupType('google.rpc.Status'), badRequest: root.lookupType('google.rpc.BadRequest') };
}

/** Trailers holding a google.rpc.Status with one BadRequest field violation per problem. */
export function badRequestTrailers(code: number, message: string, problems: readonly Problem[]): Metadata {
  const { status, badRequest } = types();
  const violations = badRequest.encode(
    badRequest.fromObject({ field_violations: problems.map((p) => ({ field: p.field, description: p.description })) }),
  ).finish();
  const encoded = status.encode(
    status.fromObject({ code, message, details: [{ type_url: BAD_REQUEST_TYPE_URL, value: violations }] }),
  ).finish();
  const metadata = new Metadata();
  metadata.set(DETAILS_KEY, Buffer.from(encoded));
  return metadata;
}

interface DecodedAny {
  type_url: string;
  value: Uint8Array;
}

/** The BadRequest field violations in a call's trailers; empty when there are none. */
export function problemsFromTrailers(metadata: Metadata | undefined): Problem[] {
  const bytes = metadata?.get(DETAILS_KEY)[0];
  if (!(bytes instanceof Buffer)) return [];
  const { status, badRequest } = types();
  const details = (status.toObject(status.decode(bytes)) as { details?: DecodedAny[] }).details ?? [];
  return details
    .filter((any) => any.type_url === BAD_REQUEST_TYPE_URL)
    .flatMap((any) => {
      const decoded = badRequest.toObject(badRequest.decode(any.value)) as { field_violations?: Partial<Problem>[] };
      return (decoded.field_violations ?? []).map((v) => ({ field: v.field ?? '', description: v.description ?? '' }));
    });
}
