// Restores dist/.gitkeep after `vite build` empties dist/, so the folder
// stays in git and the Go embed pattern always finds it.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

writeFileSync(fileURLToPath(new URL("../dist/.gitkeep", import.meta.url)), "");
