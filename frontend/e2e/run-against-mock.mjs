// Runs the browser test against the mock server: npm run build first, then
// npm run e2e:mock. Exits with the test's exit code.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startMockServer } from "./mock-server.mjs";

const server = await startMockServer();
console.log(`mock store on ${server.url}`);
const testFile = fileURLToPath(new URL("./first-sale.test.mjs", import.meta.url));
const child = spawn(process.execPath, ["--test", testFile], {
  stdio: "inherit",
  env: { ...process.env, ESIMSCAN_E2E_URL: server.url },
});
const code = await new Promise((done) => child.on("exit", (exitCode) => done(exitCode ?? 1)));
await server.close();
process.exit(code);
