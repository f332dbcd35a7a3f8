import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { Parser, fromFile, DiagnosticSeverity, type Diagnostic } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_MESSAGE_TYPES,
  CLOSE_CODES,
  ERROR_CATALOGUE,
  ErrorCodeValues,
  SERVER_MESSAGE_TYPES,
  TOPICS,
  closeCodeInfo,
} from '../src/index.js';
import {
  AVRO_SCHEMA_FORMAT,
  buildAsyncApiDocument,
  listAvroSchemaFiles,
  resolveValueSchema,
  type AvroSchemaFile,
} from '../src/protocol/asyncapi.js';
import {
  ASYNCAPI_PATH,
  PROTOCOL_DOC_PATH,
  protocolDocSections,
  replaceSection,
  staleFiles,
} from '../src/protocol/docs.js';
import { toYaml } from '../src/protocol/yaml.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const asyncapiFile = join(repoRoot, ASYNCAPI_PATH);

const errorsOf = (diagnostics: Diagnostic[]) =>
  diagnostics
    // DiagnosticSeverity: Error = 0, Warning = 1, Information = 2, Hint = 3 (the parser notes that
    // AsyncAPI 3.1 exists, as Information: we target 3.0 on purpose).
    .filter((d) => Number(d.severity) <= Number(DiagnosticSeverity.Warning))
    .map((d) => `${d.code}: ${d.message} at ${d.path.join('/')}`);

async function parseAsyncApi(file: string) {
  const parser = new Parser({ schemaParsers: [AvroSchemaParser()] });
  return fromFile(parser, file).parse();
}

// Parsing takes most of a second: parse the committed document once for all its tests.
let committed: ReturnType<typeof parseAsyncApi> | undefined;
const parseCommitted = () => (committed ??= parseAsyncApi(asyncapiFile));

describe('error and close code catalogues', () => {
  it('describes every Avro ErrorCode, and nothing else', () => {
    expect(Object.keys(ERROR_CATALOGUE).sort()).toEqual([...ErrorCodeValues].sort());
    for (const [code, info] of Object.entries(ERROR_CATALOGUE)) {
      expect(info.description.length, code).toBeGreaterThan(10);
      if (info.closeCode !== undefined)
        expect(closeCodeInfo(info.closeCode), `${code} → ${info.closeCode}`).toBeDefined();
    }
  });

  it('lists the close codes the protocol uses, each once, in valid ranges', () => {
    const codes = Object.values(CLOSE_CODES).map((c) => c.code);
    expect(codes).toEqual([1000, 1001, 1008, 1009, 1011, 1013, 4001, 4002, 4003, 4004, 4005, 4006, 4008]);
    for (const [name, info] of Object.entries(CLOSE_CODES)) expect(info.name).toBe(name);
    const resumable = Object.values(CLOSE_CODES)
      .filter((c) => c.resume)
      .map((c) => c.code);
    expect(resumable).toEqual([1001, 1011, 1013, 4004, 4005, 4006]);
    expect(closeCodeInfo(1006)).toBeUndefined();
  });
});

describe('generated documentation', () => {
  it('docs/asyncapi.yaml and the generated sections of docs/protocol.md are up to date', async () => {
    expect(await staleFiles(repoRoot), 'run `node schemas/scripts/asyncapi.mjs`').toEqual([]);
  });

  it('detects a stale section and a missing marker', async () => {
    const root = mkdtempSync(join(tmpdir(), 'protocol-docs-'));
    try {
      mkdirSync(join(root, 'schemas'));
      symlinkSync(join(repoRoot, 'schemas', 'avro'), join(root, 'schemas', 'avro'));
      cpSync(join(repoRoot, 'docs'), join(root, 'docs'), { recursive: true });
      cpSync(join(repoRoot, '.prettierrc'), join(root, '.prettierrc'));
      expect(await staleFiles(root)).toEqual([]);
      const doc = readFileSync(join(root, PROTOCOL_DOC_PATH), 'utf8');
      writeFileSync(join(root, PROTOCOL_DOC_PATH), doc.replace('| `rate_limited`', '| `rate_limitd`'));
      expect(await staleFiles(root)).toEqual([PROTOCOL_DOC_PATH]);
      writeFileSync(join(root, PROTOCOL_DOC_PATH), doc.replace('<!-- error-codes:end -->', ''));
      await expect(staleFiles(root)).rejects.toThrow(/error-codes:start/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('documents every error code, close code and message type in docs/protocol.md', () => {
    const doc = readFileSync(join(repoRoot, PROTOCOL_DOC_PATH), 'utf8');
    const sections = protocolDocSections();
    for (const code of ErrorCodeValues) expect(sections['error-codes']).toContain(`\`${code}\``);
    for (const { code } of Object.values(CLOSE_CODES)) expect(sections['close-codes']).toContain(`| ${code} |`);
    for (const type of CLIENT_MESSAGE_TYPES) expect(doc).toContain(`#### \`${type}\` (client → server)`);
    for (const type of SERVER_MESSAGE_TYPES) expect(doc).toContain(`#### \`${type}\` (server → client)`);
  });

  it('replaceSection keeps the hand-written text around the markers', () => {
    const text = 'before\n<!-- x:start -->\nold\n<!-- x:end -->\nafter\n';
    const replaced = replaceSection(text, 'x', 'new');
    expect(replaced.startsWith('before\n<!-- x:start -->\n')).toBe(true);
    expect(replaced).toContain('\nnew\n');
    expect(replaced).not.toContain('old');
    expect(replaced.endsWith('<!-- x:end -->\nafter\n')).toBe(true);
  });
});

describe('AsyncAPI document', () => {
  it('validates with @asyncapi/parser (Avro payloads included)', async () => {
    const { document, diagnostics } = await parseCommitted();
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(document).toBeDefined();
  });

  it('is refused by the parser when broken (the validation above can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asyncapi-'));
    try {
      const broken = readFileSync(asyncapiFile, 'utf8').replace(
        "$ref: '#/channels/ws/messages/client.join'",
        "$ref: '#/channels/ws/messages/client.teleport'",
      );
      expect(broken).toContain('client.teleport');
      writeFileSync(join(dir, 'asyncapi.yaml'), broken);
      const { diagnostics } = await parseAsyncApi(join(dir, 'asyncapi.yaml'));
      expect(errorsOf(diagnostics).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is the YAML of the generated document, unchanged by the round trip', async () => {
    const { extras } = await parseCommitted();
    expect(extras?.document.data).toEqual(buildAsyncApiDocument(listAvroSchemaFiles(repoRoot)));
  });

  it('lists every client and server message on the WebSocket channel', async () => {
    const { document } = await parseCommitted();
    const ws = document?.channels().get('ws');
    expect(ws?.address()).toBe('/ws');
    const names = (ids: string[]) => ids.map((id) => ws?.messages().get(id)?.name());
    const receive = document?.operations().get('receiveClientMessages');
    const send = document?.operations().get('sendServerMessages');
    expect(receive?.action()).toBe('receive');
    expect(send?.action()).toBe('send');
    expect(
      receive
        ?.messages()
        .all()
        .map((m) => m.name()),
    ).toEqual([...CLIENT_MESSAGE_TYPES]);
    expect(
      send
        ?.messages()
        .all()
        .map((m) => m.name()),
    ).toEqual([...SERVER_MESSAGE_TYPES]);
    expect(names(CLIENT_MESSAGE_TYPES.map((t) => `client.${t}`))).toEqual([...CLIENT_MESSAGE_TYPES]);
    expect(names(SERVER_MESSAGE_TYPES.map((t) => `server.${t}`))).toEqual([...SERVER_MESSAGE_TYPES]);
  });

  it('lists every catalogue topic with its Kafka bindings and Avro schema file', async () => {
    const { document } = await parseCommitted();
    const files = listAvroSchemaFiles(repoRoot);
    for (const spec of Object.values(TOPICS)) {
      const channel = document?.channels().get(spec.id);
      expect(channel?.address(), spec.id).toBe(spec.name);
      const binding = channel
        ?.bindings()
        .get('kafka')
        ?.value<{ topic: string; partitions: number; replicas: number }>();
      expect(binding).toMatchObject({
        topic: spec.name,
        partitions: spec.partitions,
        replicas: spec.replicationFactor,
      });
      const [message] = channel?.messages().all() ?? [];
      expect(message?.schemaFormat()).toBe(AVRO_SCHEMA_FORMAT);
      const file = resolveValueSchema(spec.valueSchema, files);
      expect(message?.name()).toBe(file.fullName);
      // The parser resolved the $ref to the schema file's content: it is that record.
      const avro = JSON.parse(readFileSync(join(repoRoot, file.path), 'utf8')) as { name: string };
      expect(message?.payload()?.json()).toMatchObject({ schemaFormat: AVRO_SCHEMA_FORMAT });
      expect(JSON.stringify(message?.payload()?.json())).toContain(avro.name);
      expect(message?.bindings().get('kafka')?.value()).toHaveProperty('key');
    }
    expect(document?.channels().all().length).toBe(Object.keys(TOPICS).length + 1);
  });
});

describe('topic value schemas', () => {
  const files: AvroSchemaFile[] = [
    { fullName: 'signal.RoomEvent', version: 1, path: 'schemas/avro/RoomEvent/v1.avsc' },
    { fullName: 'signal.RoomEvent', version: 2, path: 'schemas/avro/RoomEvent/v2.avsc' },
    { fullName: 'signal.Command', version: 1, path: 'schemas/avro/Command/v1.avsc' },
  ];

  it('resolves a record name to its latest version, and refuses an unknown one', () => {
    expect(resolveValueSchema('signal.RoomEvent', files)).toBe(files[1]);
    expect(resolveValueSchema('signal.Command', files)).toBe(files[2]);
    expect(() => resolveValueSchema('signal.Nope', files)).toThrow(/no Avro schema file defines signal.Nope/);
  });

  it('resolves every catalogue topic against the schema files on disk', () => {
    const onDisk = listAvroSchemaFiles(repoRoot);
    for (const spec of Object.values(TOPICS))
      expect(() => resolveValueSchema(spec.valueSchema, onDisk), spec.id).not.toThrow();
  });
});

describe('toYaml', () => {
  it('quotes what YAML would misread', () => {
    expect(
      toYaml({ a: 'true', b: '1.0', c: 'a: b', d: '#x', e: '', f: 'plain text', g: 'multi\nline', 'x y': 1 }),
    ).toBe('a: "true"\nb: "1.0"\nc: "a: b"\nd: "#x"\ne: ""\nf: plain text\ng: "multi\\nline"\n"x y": 1\n');
  });

  it('writes nested arrays and objects', () => {
    expect(toYaml({ list: [{ a: 1, b: [true, null] }, [], {}, ['x']] })).toBe(
      'list:\n  - a: 1\n    b:\n      - true\n      - null\n  - []\n  - {}\n  - - x\n',
    );
  });
});
