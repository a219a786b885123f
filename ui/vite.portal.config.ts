import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The enterprise portal, built into dist-portal/ and embedded in desk-server, which serves it
// at /portal/. Phones in WeChat's browser: modern enough for es2020, small first load.
export default defineConfig({
  root: 'portal',
  base: '/portal/',
  plugins: [vue()],
  build: {
    target: 'es2020',
    outDir: '../dist-portal',
    emptyOutDir: true,
  },
})
