#!/usr/bin/env node
// `npm run playground`: serves the repository on 127.0.0.1 with COOP/COEP (so the training worker gets wasm
// threads) and prints the playground's URL. Needs `npm run build` first (dist/browser). PORT=… picks the port.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(join(root, "dist/browser/exodus-snn.js"))) {
  console.error("playground: dist/browser/exodus-snn.js is missing; run 'npm run build' first");
  process.exit(2);
}
const MIME = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm",
  ".json": "application/json", ".map": "application/json", ".gz": "application/gzip", ".png": "image/png",
};
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
  let file = join(root, path);
  if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end("not found");
  if (statSync(file).isDirectory()) file = join(file, "index.html");
  if (!existsSync(file)) return void res.writeHead(404).end("not found");
  res.writeHead(200, {
    "content-type": MIME[extname(file)] ?? "application/octet-stream",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-embedder-policy": "require-corp",
  });
  createReadStream(file).pipe(res);
});
server.listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => {
  console.log(`exodus-snn playground: http://127.0.0.1:${server.address().port}/playground/  (Ctrl-C to stop)`);
});
