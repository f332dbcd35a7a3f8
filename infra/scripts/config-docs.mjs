// Writes each service's configuration table into README.md (between `config:<service>` markers),
// generated from the same spec the service validates its environment with. `npm run docs` runs
// it after a build; test/docs/readme.unit.test.ts fails when the README and a spec differ.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import { configTableMarkdown } from '../../services/runtime/dist/index.js';

const root = new URL('../../', import.meta.url);
const specs = {
  edge: ['services/edge/dist/config.js', 'edgeConfigSpec'],
  projector: ['services/projector/dist/config.js', 'projectorConfigSpec'],
  sfu: ['services/sfu/dist/config.js', 'sfuConfigSpec'],
  analytics: ['services/analytics/dist/config.js', 'analyticsConfigSpec'],
};
const file = new URL('README.md', root);
let readme = readFileSync(file, 'utf8');
for (const [service, [path, name]] of Object.entries(specs)) {
  const module = new URL(path, root);
  if (!existsSync(module)) continue;
  const spec = (await import(module.href))[name];
  if (!spec) throw new Error(`${path} does not export ${name}`);
  const marker = new RegExp(`(<!-- config:${service}:start -->\\n)[\\s\\S]*?(<!-- config:${service}:end -->)`);
  if (!marker.test(readme)) throw new Error(`README.md has no config:${service} markers`);
  readme = readme.replace(marker, `$1${configTableMarkdown(spec)}\n$2`);
}
writeFileSync(file, readme);

// Each service README that has a `config:start` section gets its own table too.
for (const [service, [path, name]] of Object.entries(specs)) {
  const serviceReadme = new URL(`services/${service}/README.md`, root);
  const module = new URL(path, root);
  if (!existsSync(serviceReadme) || !existsSync(module)) continue;
  const text = readFileSync(serviceReadme, 'utf8');
  const marker = /(<!-- config:start -->\n<!--[^\n]*-->\n)[\s\S]*?(<!-- config:end -->)/;
  if (!marker.test(text)) continue;
  const spec = (await import(module.href))[name];
  writeFileSync(serviceReadme, text.replace(marker, `$1\n${configTableMarkdown(spec)}\n$2`));
}
console.log('README.md configuration tables written');
