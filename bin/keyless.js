#!/usr/bin/env node
// `npx keyless …` entry: runs the TypeScript CLI through ts-node's swc transpiler (no build step).
require('ts-node').register({
  swc: true,
  project: require('node:path').join(__dirname, '..', 'tsconfig.json'),
});
require('./keyless.ts');
