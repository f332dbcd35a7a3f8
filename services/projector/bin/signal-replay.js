#!/usr/bin/env node
// Committed (not built) so that npm can link and chmod it before `tsc -b` has produced dist/.
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
