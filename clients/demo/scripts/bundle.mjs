// Bundles the demo page's script (src/app/main.ts and the SDK) into dist/public/app.js and copies
// the static files next to it. Run after `tsc -b` (the SDK is resolved from its build).
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/public`;
mkdirSync(out, { recursive: true });
cpSync(`${root}public`, out, { recursive: true });
const result = await build({
  entryPoints: [`${root}src/app/main.ts`],
  outfile: `${out}/app.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  metafile: true,
  logLevel: 'warning',
});
// The browser bundle must never pull Node-only code (schemas' Avro codec, the demo server).
const inputs = Object.keys(result.metafile.inputs);
const leaked = inputs.filter((p) => /schemas\/|avsc|src\/server\//.test(p));
if (leaked.length > 0) throw new Error(`Node-only modules in the browser bundle: ${leaked.join(', ')}`);
