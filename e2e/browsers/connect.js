// The Node side of e2e/browsers_test.go: connect to a browsers endpoint
// with playwright-core, as the Playwright packages do (a bearer token in
// the WebSocket handshake), load a page and print what happened as one
// JSON line per event. Usage:
//   node connect.js ENDPOINT TOKEN PAGE_URL [hold]
// TOKEN "" sends none; "hold" keeps the session open after the page
// loads and reports whether the server ends it within 20 seconds.
const { chromium } = require('playwright-core');

const [endpoint, token, pageURL, hold] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

(async () => {
  const headers = {
    // The browser server (run-server --unsafe) launches Debian's chromium.
    'x-playwright-launch-options': JSON.stringify({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true }),
  };
  if (token) headers.Authorization = 'Bearer ' + token;
  let browser;
  try {
    browser = await chromium.connect(endpoint, { headers, timeout: 30000 });
  } catch (e) {
    say({ error: String(e && e.message || e) });
    return;
  }
  const page = await browser.newPage();
  await page.goto(pageURL);
  say({ title: await page.title() });
  if (hold !== 'hold') {
    await browser.close();
    return;
  }
  const ended = new Promise((resolve) => browser.on('disconnected', () => resolve(true)));
  say({ ready: true });
  const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 20000));
  say({ disconnected: await Promise.race([ended, timeout]) });
  process.exit(0);
})().catch((e) => { say({ error: 'unexpected: ' + String(e && e.message || e) }); process.exit(1); });
