// Runs before every `bun test`: the app embeds the browser bundle public/js/viewer.js (gitignored, made by
// `bun run build`), so a bare `bun test` on a fresh clone builds it first when it is missing.
import { existsSync } from 'node:fs'
import { buildWeb, VIEWER_BUNDLE } from '../scripts/build-web'

if (!existsSync(VIEWER_BUNDLE)) await buildWeb()
