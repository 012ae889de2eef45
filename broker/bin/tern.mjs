#!/usr/bin/env node
// The `tern` command. Node 24 runs the TypeScript sources directly (type stripping).
import { runCli } from '../src/cli/main.ts';

await runCli(process.argv.slice(2));
