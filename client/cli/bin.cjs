#!/usr/bin/env node
'use strict';
// `npx kvs-ice-broker …` (package.json "bin"): the TypeScript CLI, run through tsx as `npm start` is.
require('tsx/cjs');
require('./main.ts').cliMain();
