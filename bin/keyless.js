#!/usr/bin/env node
// `npx keyless …` (and `npm run keyless -- …`) entry: runs the TypeScript CLI through ts-node's swc transpiler
// (no build step).

// Under Node < 22 the AWS SDK prints a 9-line notice at every command: SDK releases after January 2027 will need
// Node 22. The SDK here is pinned by package-lock.json, so that notice is for the maintainers (README, "Node"),
// not something an operator can act on per command. Set the variable to anything but "true" to see it again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

require('ts-node').register({
  swc: true,
  project: require('node:path').join(__dirname, '..', 'tsconfig.json'),
});
require('./keyless.ts');
