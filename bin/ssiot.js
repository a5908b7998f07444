#!/usr/bin/env node
// Entry point for `npx ssiot`: loads the TypeScript CLI through tsx's loader
// so the repository needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
