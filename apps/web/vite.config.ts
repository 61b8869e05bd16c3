import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server's listen address under the default PEYTONIX_HOST and PEYTONIX_PORT. The dev
// server forwards API and health requests there, so the page stays same-origin as in production.
const serverOrigin = 'http://127.0.0.1:3000';

export default defineConfig({
  // Pin the root to this folder so `dist` lands in apps/web whatever the working directory.
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': serverOrigin,
      '/health': serverOrigin,
    },
  },
});
