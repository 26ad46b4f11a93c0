import alpine from '@alpinejs/csp/dist/cdn.min.js' with { type: 'file' }
import htmx from 'htmx.org/dist/htmx.min.js' with { type: 'file' }
import css from '../../public/css/nora.css' with { type: 'file' }
import table from '../../public/js/table.js' with { type: 'file' }
import upload from '../../public/js/upload.js' with { type: 'file' }

/** Public assets by URL path; `type: 'file'` imports are embedded in the compiled binary. */
export const STATIC_ASSETS: Record<string, { path: string; type: string }> = {
  '/static/vendor/htmx.min.js': { path: htmx, type: 'text/javascript; charset=utf-8' },
  '/static/vendor/alpine-csp.min.js': { path: alpine, type: 'text/javascript; charset=utf-8' },
  '/static/css/nora.css': { path: css, type: 'text/css; charset=utf-8' },
  '/static/js/upload.js': { path: upload, type: 'text/javascript; charset=utf-8' },
  '/static/js/table.js': { path: table, type: 'text/javascript; charset=utf-8' },
}
