/**
 * Builds the AsyncAPI 3.0 document (docs/asyncapi.yaml) from the sources of truth: the TypeBox
 * message schemas for the WebSocket channel, and the topic catalogue plus the Avro schema files
 * for the Kafka channels. Run by schemas/scripts/asyncapi.mjs; a unit test fails when stale.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from 'typebox';
import { TOPICS, type TopicSpec } from '../topics.js';
import { ClientMessageSchemas, CLIENT_MESSAGE_TYPES } from './client.js';
import { PROTOCOL_LIMITS, SHARED_SCHEMAS } from './common.js';
import { CLIENT_MESSAGE_EXAMPLES, SERVER_MESSAGE_EXAMPLES } from './examples.js';
import { ServerMessageSchemas, SERVER_MESSAGE_TYPES } from './server.js';

/** A published Avro schema file. */
export interface AvroSchemaFile {
  /** Full name, e.g. `signal.RoomEvent`. */
  readonly fullName: string;
  readonly version: number;
  /** Path relative to the repository root, with `/` separators. */
  readonly path: string;
}

export const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro+json;version=1.9.0';
const KAFKA_BINDING_VERSION = '0.5.0';

/** Every `schemas/avro/<Name>/v<N>.avsc` under the repository root. */
export function listAvroSchemaFiles(repoRoot: string): AvroSchemaFile[] {
  const dir = join(repoRoot, 'schemas', 'avro');
  const files: AvroSchemaFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    for (const file of readdirSync(join(dir, name)).sort()) {
      const match = /^v(\d+)\.avsc$/.exec(file);
      if (match === null) continue;
      const schema = JSON.parse(readFileSync(join(dir, name, file), 'utf8')) as { name: string; namespace?: string };
      const fullName =
        schema.name.includes('.') || schema.namespace === undefined
          ? schema.name
          : `${schema.namespace}.${schema.name}`;
      files.push({ fullName, version: Number(match[1]), path: `schemas/avro/${name}/${file}` });
    }
  }
  return files;
}

/** The latest schema file of a topic's value record (throws when no file defines it). */
export function resolveValueSchema(valueSchema: string, files: readonly AvroSchemaFile[]): AvroSchemaFile {
  const latest = files
    .filter((f) => f.fullName === valueSchema)
    .reduce<AvroSchemaFile | undefined>((a, f) => (a === undefined || f.version > a.version ? f : a), undefined);
  if (latest === undefined) throw new Error(`no Avro schema file defines ${valueSchema} (looked under schemas/avro/)`);
  return latest;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A TypeBox schema as plain JSON Schema, with shared objects replaced by component references. */
function payloadSchema(schema: TSchema, self?: string): Json {
  const plain = JSON.parse(JSON.stringify(schema)) as Json;
  const shared = Object.entries(SHARED_SCHEMAS)
    .filter(([name]) => name !== self)
    .map(([name, s]) => [JSON.stringify(s), name] as const);
  const byJson = new Map(shared);
  const walk = (node: Json, root: boolean): Json => {
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    if (node === null || typeof node !== 'object') return node;
    if (!root) {
      const name = byJson.get(JSON.stringify(node));
      if (name !== undefined) return { $ref: `#/components/schemas/${name}` };
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, false)]));
  };
  return walk(plain, true);
}

const keyDescriptions: Record<TopicSpec['key'], Json> = {
  room: {
    type: 'string',
    description:
      'Room id. Default (murmur2) partitioner, so every room-keyed topic puts a room in the same partition number.',
  },
  edge: { type: 'string', description: 'Edge id (compaction keeps the latest record per edge).' },
  none: { type: 'null', description: 'No key.' },
  'partition-slot': {
    description:
      "Not used for partitioning: each record is produced to the partition of the recipient edge's reply slot.",
  },
};

function topicConfiguration(spec: TopicSpec): Json {
  if (spec.retention.kind === 'delete') return { 'cleanup.policy': ['delete'], 'retention.ms': spec.retention.ms };
  const config: Record<string, Json> = { 'cleanup.policy': ['compact'] };
  if (spec.retention.deleteRetentionMs !== undefined) config['delete.retention.ms'] = spec.retention.deleteRetentionMs;
  return config;
}

function retentionText(spec: TopicSpec): string {
  const r = spec.retention;
  if (r.kind === 'delete') return `deleted after ${r.ms / 3_600_000} h`;
  return `compacted by key${r.minCompactionLagMs === undefined ? '' : ` (min compaction lag ${r.minCompactionLagMs} ms)`}`;
}

const componentId = (fullName: string): string => fullName.replace(/[^\w.-]/g, '_');

/** The AsyncAPI 3.0 document as JSON data, for docs/asyncapi.yaml (Avro refs are relative to docs/). */
export function buildAsyncApiDocument(avroFiles: readonly AvroSchemaFile[]): Record<string, Json> {
  const clientRefs = CLIENT_MESSAGE_TYPES.map((t) => `client.${t}`);
  const serverRefs = SERVER_MESSAGE_TYPES.map((t) => `server.${t}`);
  const messages: Record<string, Json> = {};
  for (const type of CLIENT_MESSAGE_TYPES) {
    const schema = ClientMessageSchemas[type];
    messages[`client.${type}`] = {
      name: type,
      title: `${type} (client → server)`,
      summary: String((schema as { description?: string }).description ?? ''),
      contentType: 'application/json',
      payload: payloadSchema(schema),
      examples: [{ name: type, payload: CLIENT_MESSAGE_EXAMPLES[type] as unknown as Json }],
    };
  }
  for (const type of SERVER_MESSAGE_TYPES) {
    const schema = ServerMessageSchemas[type];
    messages[`server.${type}`] = {
      name: type,
      title: `${type} (server → client)`,
      summary: String((schema as { description?: string }).description ?? ''),
      contentType: 'application/json',
      payload: payloadSchema(schema),
      examples: [{ name: type, payload: SERVER_MESSAGE_EXAMPLES[type] as unknown as Json }],
    };
  }

  const channels: Record<string, Json> = {
    ws: {
      address: '/ws',
      title: 'Client WebSocket',
      description:
        'JSON text frames, one message per frame, discriminated by `type`. Authenticate at the upgrade with a JWT (Authorization: Bearer, `?token=`, or `Sec-WebSocket-Protocol: access_token, <jwt>`). See docs/protocol.md.',
      servers: [{ $ref: '#/servers/edge' }],
      messages: Object.fromEntries(
        [...clientRefs, ...serverRefs].map((id) => [id, { $ref: `#/components/messages/${id}` }]),
      ),
      bindings: {
        ws: {
          method: 'GET',
          query: {
            type: 'object',
            properties: { token: { type: 'string', description: 'Access token (JWT), when no header can be set.' } },
          },
          headers: {
            type: 'object',
            properties: {
              Authorization: { type: 'string', description: 'Bearer <JWT>' },
              'Sec-WebSocket-Protocol': {
                type: 'string',
                description: 'access_token, <JWT> (the server selects access_token)',
              },
            },
          },
          bindingVersion: '0.1.0',
        },
      },
    },
  };
  const operations: Record<string, Json> = {
    receiveClientMessages: {
      action: 'receive',
      channel: { $ref: '#/channels/ws' },
      title: 'Client → server',
      summary: 'Messages a client sends; each may carry `id`, answered by ack or error.',
      messages: clientRefs.map((id) => ({ $ref: `#/channels/ws/messages/${id}` })),
    },
    sendServerMessages: {
      action: 'send',
      channel: { $ref: '#/channels/ws' },
      title: 'Server → client',
      summary: 'Messages the server sends; those rendered from room events carry `seq`.',
      messages: serverRefs.map((id) => ({ $ref: `#/channels/ws/messages/${id}` })),
    },
  };

  for (const spec of Object.values(TOPICS)) {
    const file = resolveValueSchema(spec.valueSchema, avroFiles);
    const messageId = componentId(`${spec.id}.${file.fullName.split('.').at(-1) ?? file.fullName}`);
    messages[messageId] = {
      name: file.fullName,
      title: `${file.fullName} v${file.version} on ${spec.name}`,
      summary: `Avro record ${file.fullName} (schema ${file.path}).`,
      description:
        'Avro single-object encoding: marker C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema, then the binary body. Readers resolve the writer schema by fingerprint.',
      contentType: 'application/octet-stream',
      payload: { schemaFormat: AVRO_SCHEMA_FORMAT, schema: { $ref: `../${file.path}` } },
      bindings: { kafka: { key: keyDescriptions[spec.key], bindingVersion: KAFKA_BINDING_VERSION } },
    };
    const description = [
      spec.doc,
      `Key: ${spec.key}. Partitions: ${spec.partitions}. Retention: ${retentionText(spec)}.`,
      `Producers: ${spec.producers.join(', ')}. Consumers: ${spec.consumers.join(', ')}.`,
    ].join('\n\n');
    channels[spec.id] = {
      address: spec.name,
      title: spec.name,
      description,
      servers: [{ $ref: '#/servers/kafka' }],
      messages: { [messageId]: { $ref: `#/components/messages/${messageId}` } },
      bindings: {
        kafka: {
          topic: spec.name,
          partitions: spec.partitions,
          replicas: spec.replicationFactor,
          topicConfiguration: topicConfiguration(spec),
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
    operations[`produce${spec.id.charAt(0).toUpperCase()}${spec.id.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${spec.id}` },
      title: `Produce to ${spec.name}`,
      summary: `Producers: ${spec.producers.join(', ')}. Consumers: ${spec.consumers.join(', ')}.`,
      messages: [{ $ref: `#/channels/${spec.id}/messages/${messageId}` }],
      bindings: { kafka: { bindingVersion: KAFKA_BINDING_VERSION } },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Kafka signaling: client protocol and topics',
      version: '1.0.0',
      description:
        'GENERATED by schemas/scripts/asyncapi.mjs from the TypeBox message schemas (schemas/src/protocol) and the topic catalogue (schemas/src/topics.ts). Do not edit.\n\n' +
        `The WebSocket channel is the client protocol (docs/protocol.md). The Kafka channels are the topics (docs/topics.md); their payloads are the Avro schema files. Frames are capped at ${PROTOCOL_LIMITS.frameBytes} bytes by default.`,
    },
    defaultContentType: 'application/json',
    servers: {
      edge: {
        host: 'signal.example.com',
        pathname: '/',
        protocol: 'wss',
        title: 'Edge nodes',
        description: 'Any edge: sessions resume across edges.',
        security: [
          { $ref: '#/components/securitySchemes/bearer' },
          { $ref: '#/components/securitySchemes/queryToken' },
          { $ref: '#/components/securitySchemes/subprotocolToken' },
        ],
      },
      kafka: {
        host: 'localhost:9092',
        protocol: 'kafka',
        title: 'Kafka cluster',
        description: 'Consumers must read with isolation.level=read_committed: projector output is transactional.',
      },
    },
    channels,
    operations,
    components: {
      schemas: Object.fromEntries(
        Object.entries(SHARED_SCHEMAS).map(([name, schema]) => [name, payloadSchema(schema, name)]),
      ),
      messages,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Authorization: Bearer <JWT> on the upgrade request.',
        },
        queryToken: {
          type: 'httpApiKey',
          name: 'token',
          in: 'query',
          description: 'The JWT as ?token= (browsers cannot set headers).',
        },
        subprotocolToken: {
          type: 'httpApiKey',
          name: 'Sec-WebSocket-Protocol',
          in: 'header',
          description: 'Sec-WebSocket-Protocol: access_token, <JWT>; the server answers with access_token.',
        },
      },
    },
  };
}
