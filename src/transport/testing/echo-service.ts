/**
 * A second service for the registry's tests, so that they prove the transports carry any descriptor and not
 * only the coordinator's. It is built at run time from a FileDescriptorProto (what buf compiles a .proto file
 * to) rather than declared in proto/veil/v1, so that no test-only service reaches the wire format:
 *
 * ```proto
 * package veil.test.v1;
 * message EchoRequest { string text = 1; bytes payload = 2; }
 * message EchoResponse { string text = 1; string peer = 2; uint32 size = 3; }
 * service EchoService {
 *   rpc Echo(EchoRequest) returns (EchoResponse);
 *   rpc Reverse(EchoRequest) returns (EchoResponse);
 * }
 * service WatchService { rpc Watch(EchoRequest) returns (stream EchoResponse); }
 * ```
 *
 * The exports have the types protoc-gen-es would generate (`GenMessage`, `GenService`).
 */
import { create, createFileRegistry, type Message } from '@bufbuild/protobuf';
import type { GenMessage, GenService } from '@bufbuild/protobuf/codegenv2';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import type { PeerIdentity, ServiceHandler } from '../service.js';

/** `veil.test.v1.EchoRequest`. */
export type EchoRequest = Message<'veil.test.v1.EchoRequest'> & { text: string; payload: Uint8Array };
/** `veil.test.v1.EchoResponse`. */
export type EchoResponse = Message<'veil.test.v1.EchoResponse'> & {
  text: string;
  peer: string;
  size: number;
};

const { STRING, BYTES, UINT32 } = FieldDescriptorProto_Type;
const field = (name: string, number: number, type: FieldDescriptorProto_Type) => ({
  name,
  number,
  type,
  label: FieldDescriptorProto_Label.OPTIONAL,
  jsonName: name,
});
const rpc = (name: string, serverStreaming = false) => ({
  name,
  inputType: '.veil.test.v1.EchoRequest',
  outputType: '.veil.test.v1.EchoResponse',
  serverStreaming,
});

const file = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'veil/test/v1/echo.proto',
    package: 'veil.test.v1',
    syntax: 'proto3',
    messageType: [
      { name: 'EchoRequest', field: [field('text', 1, STRING), field('payload', 2, BYTES)] },
      {
        name: 'EchoResponse',
        field: [field('text', 1, STRING), field('peer', 2, STRING), field('size', 3, UINT32)],
      },
    ],
    service: [
      { name: 'EchoService', method: [rpc('Echo'), rpc('Reverse')] },
      { name: 'WatchService', method: [rpc('Watch', true)] },
    ],
  }),
  () => undefined,
).getFile('veil/test/v1/echo.proto')!;

export const EchoRequestSchema = file.messages[0] as GenMessage<EchoRequest>;
export const EchoResponseSchema = file.messages[1] as GenMessage<EchoResponse>;

/** Two unary methods: `echo` and `reverse`. */
export const EchoService = file.services[0] as GenService<{
  echo: { methodKind: 'unary'; input: typeof EchoRequestSchema; output: typeof EchoResponseSchema };
  reverse: { methodKind: 'unary'; input: typeof EchoRequestSchema; output: typeof EchoResponseSchema };
}>;

/** A server-streaming method, which the transports refuse. */
export const WatchService = file.services[1] as GenService<{
  watch: {
    methodKind: 'server_streaming';
    input: typeof EchoRequestSchema;
    output: typeof EchoResponseSchema;
  };
}>;

/** One call the stub echo service received. */
export interface EchoCall {
  readonly rpc: 'echo' | 'reverse';
  readonly peer: PeerIdentity;
  readonly request: EchoRequest;
}

/** A handler of {@link EchoService} that records its calls, answers with the peer's id, or throws `fail`. */
export interface StubEcho extends ServiceHandler<typeof EchoService> {
  readonly calls: EchoCall[];
  fail: unknown;
}

/** A new {@link StubEcho}. */
export function stubEcho(): StubEcho {
  const stub: StubEcho = {
    calls: [],
    fail: undefined,
    async echo(request, peer) {
      return answer('echo', request, peer, request.text);
    },
    async reverse(request, peer) {
      return answer('reverse', request, peer, [...request.text].reverse().join(''));
    },
  };
  function answer(rpc: EchoCall['rpc'], request: EchoRequest, peer: PeerIdentity, text: string) {
    stub.calls.push({ rpc, peer, request });
    if (stub.fail !== undefined) throw stub.fail;
    return create(EchoResponseSchema, { text, peer: peer.id, size: request.payload.length });
  }
  return stub;
}
