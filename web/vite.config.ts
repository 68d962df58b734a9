/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { gzipSync } from 'node:zlib'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

// The gateway sends these .gz copies to browsers that accept gzip (gunicorn does not
// compress): text assets only, and only where it saves something.
function gzipCopies(): Plugin {
  return {
    name: 'keyuan-gzip-copies',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name)
          if (statSync(path).isDirectory()) walk(path)
          else if (/\.(js|css|html|svg|json|webmanifest)$/.test(name)) {
            const data = readFileSync(path)
            const zipped = gzipSync(data, { level: 9 })
            if (zipped.length < data.length) writeFileSync(path + '.gz', zipped)
          }
        }
      }
      walk(resolve(__dirname, 'dist'))
    },
  }
}

// Vant's icon font comes inlined (a 34 kB base64 data URI inside the CSS 今日 must load
// before it can paint) and names a CDN copy as a fallback. Nothing may load from a CDN
// (sales offices run on intranets): the fallback goes. And the font becomes a file of its
// own (hashed, cached for a year, fetched beside the page, not in front of it).
const FONT_DIR = resolve(__dirname, 'node_modules/.keyuan-fonts')

function vantFonts(): Plugin {
  return {
    name: 'keyuan-vant-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('vant') || !id.endsWith('.css')) return null
      let css = code.replace(/,\s*url\((["']?)(https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\(["']?\w+["']?\)/g, '')
      css = css.replace(/url\(["']?data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)["']?\)/g, (_all, data: string) => {
        mkdirSync(FONT_DIR, { recursive: true })
        const file = join(FONT_DIR, 'vant-icons.woff2')
        writeFileSync(file, Buffer.from(data, 'base64'))
        return `url("${relative(dirname(id), file).split(sep).join('/')}")`
      })
      return css
    },
  }
}

// What the 今日 route needs (its page, the consultant's layout and everything they import
// statically, the UI kit's parts included) is one file; every other page keeps its own
// chunks, loaded when first opened, so the desk, admin and docs never reach 今日.
const TODAY_ROUTE = ['/src/areas/consultant/TodayPage.vue', '/src/areas/consultant/ConsultantLayout.vue']

interface ModuleInfo { importers: readonly string[]; isEntry: boolean }
type Meta = { getModuleInfo: (id: string) => ModuleInfo | null }

// Where a module is imported from, statically: the entry (it stays there), 今日, or neither.
function reach(id: string, meta: Meta, memo: Map<string, Set<string>>, path = new Set<string>()): Set<string> {
  const known = memo.get(id)
  if (known) return known
  const found = new Set<string>()
  const info = meta.getModuleInfo(id)
  if (info?.isEntry && id.endsWith('/index.html')) found.add('entry')   // the app's, not the docs'
  if (TODAY_ROUTE.some((r) => id.endsWith(r))) found.add('today')
  path.add(id)
  for (const importer of info?.importers ?? []) {
    if (!path.has(importer)) reach(importer, meta, memo, path).forEach((x) => found.add(x))
  }
  path.delete(id)
  memo.set(id, found)
  return found
}

const memo = new Map<string, Set<string>>()
function todayChunk(id: string, meta: Meta): string | undefined {
  // What the entry imports (Vue, the router, the session) is every page's: its own file,
  // or rolldown would pull it into 'today' with the modules that import it too.
  const from = reach(id, meta, memo)
  if (from.has('entry')) return 'kit'
  return from.has('today') ? 'today' : undefined
}

export default defineConfig({
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false }), vantFonts(), gzipCopies()],
  resolve: { alias: { '@': resolve(__dirname, 'src') } },
  build: {
    target: 'es2020',
    manifest: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000, // the API docs page (Swagger UI) alone,
    rollupOptions: {
      input: { app: resolve(__dirname, 'index.html'), docs: resolve(__dirname, 'docs.html') },
      // A phone on a slow network pays a round trip per file (the gateway speaks HTTP/1.1:
      // six at a time): 今日 comes as one file, not forty (see todayChunk).
      output: { manualChunks: todayChunk },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
  test: { environment: 'happy-dom', include: ['src/**/*.test.ts'] },
})
