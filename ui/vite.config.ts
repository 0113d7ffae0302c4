/**
 * The console's build: `npm run build:ui` writes ui/dist, which `vigil serve` serves at `/`
 * under a strict Content-Security-Policy (no inline script or style, no eval). So the build
 * must emit only files: one module script, one stylesheet, nothing inlined as data: URLs that
 * the policy would refuse (fonts), and no module-preload polyfill injected into the page.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `npm run dev:ui` against a running `vigil serve` on the default listener.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
