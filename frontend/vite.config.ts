/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// The Go package beside this file embeds dist/, so the build writes there.
// emptyOutDir also removes dist/.gitkeep, which scripts/keep-dist.mjs restores.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    reportCompressedSize: true,
  },
  server: {
    host: "127.0.0.1",
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.spec.ts"],
    restoreMocks: true,
    setupFiles: ["src/test/setup.ts"],
  },
});
