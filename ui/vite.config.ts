import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// Tauri serves the built files itself; the dev server is for `cargo tauri dev`.
export default defineConfig({
  plugins: [vue()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // The ECharts chunk (~575 kB) loads only with the Figures tab and from local files, never the network.
    chunkSizeWarningLimit: 700,
  },
  test: { environment: 'jsdom', include: ['tests/**/*.test.ts'], setupFiles: ['tests/setup.ts'] },
})
