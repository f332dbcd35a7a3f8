// Generates the protocol documentation from its sources of truth (the TypeBox message schemas,
// the error/close code catalogues, the topic catalogue and the Avro schema files):
//
//   node schemas/scripts/asyncapi.mjs          write docs/asyncapi.yaml and the generated sections of docs/protocol.md
//   node schemas/scripts/asyncapi.mjs --check  exit 1 if either is stale
//
// The generator is TypeScript (schemas/src/protocol/docs.ts); this script builds the schemas
// package first (incremental `tsc -b schemas`) so it never runs stale compiled code.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const schemasDir = join(here, '..');
const repoRoot = join(schemasDir, '..');

if (!process.argv.includes('--no-build')) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', schemasDir], { stdio: 'inherit' });
}
const { generatedFiles } = await import(pathToFileURL(join(schemasDir, 'dist', 'protocol', 'docs.js')).href);

const check = process.argv.includes('--check');
let stale = 0;
for (const { path, content } of await generatedFiles(repoRoot)) {
  const file = join(repoRoot, path);
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing: stale
  }
  if (current === content) continue;
  if (check) {
    console.error(`${path} is out of date: run \`node schemas/scripts/asyncapi.mjs\``);
    stale++;
  } else {
    writeFileSync(file, content);
    console.log(`wrote ${path}`);
  }
}
if (check && stale > 0) process.exit(1);
if (check) console.log('protocol docs are up to date');
