/**
 * The dashboard's build: `npm run build:web` writes web/dist, which `veil serve` serves at `/` (src/server/app/web.ts).
 * Preact with its automatic JSX runtime; `veil/client` is the TypeScript SDK's source (src/client), bundled in.
 * No CDN: everything the page loads is in web/dist.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: 'public',
  resolve: {
    alias: { 'veil/client': resolve(import.meta.dirname, '../src/client/index.ts') },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.VEIL_WEB_OUT ?? resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
