#!/usr/bin/env node
import { runCli } from '../dist/src/cli/prism-admin.js';

process.exitCode = await runCli(process.argv.slice(2), process);
