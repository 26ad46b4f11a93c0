// Runs before every `bun test`: the app embeds the browser bundles public/js/viewer.js, desktop.js, ... and the asset pack
// public/dist/assets.pack (both gitignored, made by `bun run build`), so a bare `bun test` on a fresh clone builds
// them first when they are missing or older than their sources.
import { existsSync } from 'node:fs'
import { assetPackStale, buildAssets } from '../scripts/build-assets'
import { buildPages, buildWeb, pageBundlesMissing, VIEWER_BUNDLE } from '../scripts/build-web'

if (!existsSync(VIEWER_BUNDLE)) await buildWeb()
else if (pageBundlesMissing()) await buildPages()
if (assetPackStale()) buildAssets()
