// Builds the bench page into bench/.cache/browser with the same Node
// polyfills as the web app (simple-peer needs Buffer, process, events, util).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { nodePolyfills } from 'vite-plugin-node-polyfills';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  plugins: [
    nodePolyfills({
      include: ['buffer', 'events', 'process', 'util'],
      globals: { Buffer: true, process: true, global: true },
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../.cache/browser', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
  },
});
