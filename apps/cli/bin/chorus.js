#!/usr/bin/env node
// The `chorus` command: runs src/main.ts through tsx, like the tracker does,
// so there is no build step between editing and running.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
