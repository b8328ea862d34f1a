#!/usr/bin/env node
/// <reference types="node" />
// The `kmsbox` executable (package.json "bin").
import { main } from './cli/main.js';

void main(process.argv.slice(2)).then((code) => {
  if (code !== 0) process.exitCode = code;
});
