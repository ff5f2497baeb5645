'use strict';
/* global require, __dirname, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a require hook is plain CommonJS, run before any compiler */
/**
 * A require hook for the benchmarks: `node -r ./bench/register.js bench/<name>.ts`.
 *
 * Compiles each TypeScript file of this repository with @swc/core (the options of .swcrc, CommonJS output) when it
 * is required, rewriting the `@sigdesk/*` path aliases of tsconfig.json to relative requires the way the build does.
 * Nothing is written to disk; node_modules are left alone.
 */
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');

const root = resolve(__dirname, '..');
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
const { paths } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions;

delete swcrc.$schema;
const options = {
  ...swcrc,
  swcrc: false,
  configFile: false,
  sourceMaps: 'inline',
  module: { ...swcrc.module, type: 'commonjs' },
  jsc: { ...swcrc.jsc, baseUrl: root, paths },
};

process.setSourceMapsEnabled(true);

addHook((code, filename) => transformSync(code, { ...options, filename }).code, {
  exts: ['.ts'],
  ignoreNodeModules: true,
});
