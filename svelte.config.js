import adapter from '@sveltejs/adapter-static';

/**
 * The console is a static single-page app: the Worker serves `dist/console` and answers unknown
 * paths with `index.html`, so deep links survive a reload. Sources live under `app/`.
 * @type {import('@sveltejs/kit').Config}
 */
const config = {
  kit: {
    adapter: adapter({ pages: 'dist/console', assets: 'dist/console', fallback: 'index.html', strict: false }),
    files: {
      routes: 'app/routes',
      lib: 'app/lib',
      appTemplate: 'app/app.html',
      errorTemplate: 'app/error.html',
      assets: 'app/static',
      hooks: { client: 'app/hooks.client', server: 'app/hooks.server', universal: 'app/hooks' },
      params: 'app/params',
      serviceWorker: 'app/service-worker',
    },
    // The SPA fallback is the only HTML page; nothing is prerendered.
    prerender: { entries: [] },
  },
};

export default config;
