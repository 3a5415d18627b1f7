import { startGateway } from "./harness.ts";
import { signMediaToken, mediaPath } from "../shared/media-token.ts";
import { runWrk } from "./tools.ts";
import { execFileSync } from "node:child_process";
const gw = await startGateway({ sseOriginUrl: "http://127.0.0.1:8891", objectKey: "bench/64k.mp4", cacheKey: "https://media-cache.invalid/media/bench%2F64k.mp4" });
await fetch(gw.url("seed") + "/?key=bench%2F64k.mp4&size=65536&type=video%2Fmp4", { method: "PUT" });
const p = mediaPath(await signMediaToken({ key: "bench/64k.mp4", ttlSeconds: 3600, kid: "v1", secret: gw.secrets.mediaTokenSecret }));
await (await fetch(gw.url("media") + p)).arrayBuffer();
await new Promise(r => setTimeout(r, 500));
for (const s of ["media", "forwarder", "routerNoAssets"] as const) {
  console.log(s, execFileSync("curl", ["-s", "-o", "/dev/null", "-D", "-", "-w", "%{time_starttransfer} %{time_total}\n", gw.url(s) + p]).toString());
}
const variants = process.argv.slice(2);
for (let r = 0; r < 2; r++) for (const s of ["media", "forwarder", "routerNoAssets", "bareCache"] as const) {
  const w = await runWrk(gw.url(s) + (s === "bareCache" ? "/" : p), { seconds: 2, connections: Number(variants[0] ?? 16) });
  console.log(r, s, w.requestsPerSecond, w.p50Ms, w.p99Ms, w.non2xx);
}
await gw.dispose();
