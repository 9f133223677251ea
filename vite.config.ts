import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

/** `vite dev` serves the console and sends `/api` to a local `wrangler dev` (GENNAKER_API, default :8787). */
export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: { '/api': { target: process.env.GENNAKER_API ?? 'http://localhost:8787', changeOrigin: false } },
  },
  build: { reportCompressedSize: false },
});
