// Writes the topic catalogue table into docs/topics.md (between the topics markers).
// Needs the built package: run through `npm run docs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import { topicTableMarkdown } from '../dist/topics.js';

const file = new URL('../../docs/topics.md', import.meta.url);
const doc = readFileSync(file, 'utf8');
const next = doc.replace(/(<!-- topics:start -->\n)[\s\S]*?(\n<!-- topics:end -->)/, `$1${topicTableMarkdown()}$2`);
writeFileSync(file, next);
console.log(next === doc ? 'docs/topics.md is up to date' : 'updated docs/topics.md');
