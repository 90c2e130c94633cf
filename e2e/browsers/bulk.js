// The Node side of BenchmarkPlaywrightBulk (e2e/browsers_bench_test.go): a
// bulk transfer as Playwright's own client and browser server make it,
// on a direct connection to the browser server and through tokend's
// gateway, alternating which goes first in each round so that both meet
// the same neighbours. A round posts SIZE bytes through the browser
// server's request API (APIRequestContext: the body goes client → browser
// server over the WebSocket, the server posts it to ECHO_URL, and the
// echoed body comes back the same way), so the bytes cross the gateway
// twice and Chromium is not in their way. Prints one JSON line with each
// path's total time and every round's direct ÷ gateway ratio. Usage:
//   node bulk.js DIRECT_ENDPOINT GATEWAY_ENDPOINT TOKEN ROUNDS SIZE ECHO_URL
const { chromium } = require('playwright-core');

const [direct, gateway, token, rounds, size, echoURL] = process.argv.slice(2);

(async () => {
  const launch = { 'x-playwright-launch-options': JSON.stringify({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true }) };
  const open = async (endpoint, headers) => {
    const browser = await chromium.connect(endpoint, { headers: { ...launch, ...headers }, timeout: 30000 });
    const context = await browser.newContext();
    return { browser, request: context.request, ms: 0 };
  };
  const paths = [await open(direct, {}), await open(gateway, { Authorization: 'Bearer ' + token })];
  const big = Buffer.alloc(Number(size), 'y');
  const once = async (p) => {
    const t0 = performance.now();
    const resp = await p.request.post(echoURL, { data: big, headers: { 'content-type': 'application/octet-stream' } });
    const back = await resp.body();
    const took = performance.now() - t0;
    if (!back.equals(big)) throw new Error(`echoed ${back.length} bytes, not the ${big.length} sent`);
    p.ms += took;
    return took;
  };
  // A warm-up round on each path.
  await once(paths[0]); await once(paths[1]);
  paths[0].ms = paths[1].ms = 0;
  const ratios = [];
  for (let i = 0; i < Number(rounds); i++) {
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    const took = [];
    for (const k of order) took[k] = await once(paths[k]);
    ratios.push(took[0] / took[1]);
  }
  process.stdout.write(JSON.stringify({ direct_ms: paths[0].ms, gateway_ms: paths[1].ms, ratios }) + '\n');
  for (const p of paths) await p.browser.close();
})().catch((e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + '\n'); process.exit(1); });
