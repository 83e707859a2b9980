// @grpc/grpc-js service definitions built from protobufjs reflection, with
// messages as plain objects in proto3 JSON form and proto field names (the
// same shape as the YAML model). Used by the admin, the example patterns and
// test servers; the proxy's own outbound path does not use it.
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { messageFromJson, messageToJson } from '../mapping/proto-json.js';
import { plainToJsonValue } from '../mapping/plain-json.js';

export type PlainMessage = Record<string, unknown>;

/** Encodes a plain proto-JSON object; unknown fields are an error. */
export function encodePlain(type: protobuf.Type, value: PlainMessage): Buffer {
  const message = messageFromJson(type, plainToJsonValue(value), { ignoreUnknownFields: false });
  return Buffer.from(type.encode(message).finish());
}

/** Decodes to a plain proto-JSON object with proto field names. */
export function decodePlain(type: protobuf.Type, bytes: Uint8Array): PlainMessage {
  return messageToJson(type, type.decode(bytes), { useProtoNames: true }) as PlainMessage;
}

export function serviceDefinition(service: protobuf.Service): ServiceDefinition {
  const definition: Record<string, MethodDefinition<PlainMessage, PlainMessage>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: (value) => encodePlain(requestType, value),
      requestDeserialize: (bytes) => decodePlain(requestType, bytes),
      responseSerialize: (value) => encodePlain(responseType, value),
      responseDeserialize: (bytes) => decodePlain(responseType, bytes),
      originalName: method.name,
    };
  }
  return definition as ServiceDefinition;
}
