// The Node side of e2e/console_test.go: playwright-core drives Debian's
// Chromium through the web console as people use it, runs axe-core on
// every page and saves screenshots. The Go test sets everything up and
// passes it in CONSOLE_E2E (JSON); each step prints one JSON line,
// {"step", "ok", "detail"}, which the Go test checks.
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const axe = require('axe-core');

const cfg = JSON.parse(process.env.CONSOLE_E2E);
const say = (step, ok, detail) => process.stdout.write(JSON.stringify({ step, ok: !!ok, detail }) + '\n');

async function signIn(page, base, user) {
  await page.goto(base + '/console/');
  await page.fill('#username', user.upn);
  await page.fill('#password', user.password);
  await page.click('#submit');
  // The callback page moves on by itself to the console.
  await page.waitForSelector('main h1:text-is("Overview")', { timeout: 30000 });
}

async function shot(page, name) {
  // caret 'initial': Playwright's default hides the caret with an inline
  // style, which the console's CSP (rightly) refuses.
  await page.screenshot({ path: path.join(cfg.artifacts, name + '.png'), fullPage: true, caret: 'initial' });
}

// checkAxe runs axe-core in the page (through the DevTools protocol, which
// the console's CSP does not govern) and fails on serious or critical
// violations.
async function checkAxe(page, name) {
  await page.evaluate(axe.source);
  const res = await page.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  say('axe ' + name, bad.length === 0, bad.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => n.target.join(' ')).join(', ') + ')'));
}

async function text(page) {
  return page.locator('main').innerText();
}

async function dataPlane(token) {
  const res = await fetch(cfg.url + '/playwrightworkspaces/' + cfg.workspaceId + '/browsers?os=Linux&api-version=2025-09-01',
    { headers: { Authorization: 'Bearer ' + token }, redirect: 'manual' });
  return res.status;
}

(async () => {
  const args = ['--ignore-certificate-errors-spki-list=' + cfg.spki.join(',')];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const browser = await chromium.launch({ executablePath: cfg.chromium, headless: true, args });
  const cspViolations = [];
  const newPage = async (viewport) => {
    const ctx = await browser.newContext({ viewport: viewport || { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
    page.setDefaultTimeout(30000);
    return page;
  };
  try {
    const owner = await newPage();
    await signIn(owner, cfg.url, cfg.owner);
    say('sign in', true);
    const over = await text(owner);
    say('overview', over.includes(cfg.tenant) && over.includes(cfg.subscription) && over.includes('tokend env'), over.slice(0, 300));
    await shot(owner, 'overview');
    await checkAxe(owner, 'overview');

    // A newcomer without roles sees nothing until an Owner assigns one.
    const newcomer = await newPage();
    await signIn(newcomer, cfg.url, cfg.newcomer);
    await newcomer.goto(cfg.url + '/console/playwright');
    const before = await text(newcomer);

    await owner.goto(cfg.url + '/console/roles?scope=' + encodeURIComponent('/subscriptions/' + cfg.subscription));
    await shot(owner, 'roles');
    await checkAxe(owner, 'roles');
    await owner.fill('#principal', cfg.newcomer.oid);
    await owner.selectOption('#role', { label: 'Reader' });
    await owner.click('button:text-is("Assign")');
    await owner.waitForSelector('.notice:has-text("The role was assigned")');
    await newcomer.goto(cfg.url + '/console/playwright');
    const after = await text(newcomer);
    say('page opens after assignment', !before.includes(cfg.workspaceId) && after.includes(cfg.workspaceId), { before: before.slice(0, 200), after: after.slice(0, 200) });

    // A forged form (another CSRF token) changes nothing.
    await owner.fill('#principal', cfg.reader.oid);
    await owner.selectOption('#role', { label: 'Contributor' });
    await owner.evaluate(() => { document.querySelector('form[action="/console/roles/assign"] input[name=csrf]').value = 'forged'; });
    await owner.click('button:text-is("Assign")');
    await owner.waitForSelector('main h1:text-is("Refused")');
    await owner.goto(cfg.url + '/console/roles?scope=' + encodeURIComponent('/subscriptions/' + cfg.subscription));
    const roles = await text(owner);
    say('forged form refused', !roles.includes('Contributor\t' + cfg.reader.oid), roles.slice(0, 300));

    // Playwright: a token shown once, accepted, revoked, refused.
    await owner.goto(cfg.url + '/console/playwright');
    await shot(owner, 'playwright');
    await checkAxe(owner, 'playwright');
    await owner.click('a:has-text("Access tokens")');
    await owner.waitForSelector('#tokenName');
    const tokensURL = owner.url();
    await owner.fill('#tokenName', 'e2e-token');
    await owner.fill('#days', '7');
    await owner.click('button:text-is("Create token")');
    await owner.waitForSelector('#new-token');
    const jwt = await owner.inputValue('#new-token');
    say('token shown once', jwt.split('.').length === 3, jwt.slice(0, 20));
    await shot(owner, 'tokens');
    await checkAxe(owner, 'tokens');
    say('data plane accepts', (await dataPlane(jwt)) === 302, 'GET browsers');
    await owner.goto(tokensURL);
    const listed = await owner.content();
    say('token not shown again', listed.includes('e2e-token') && !listed.includes(jwt), '');
    await owner.click('button[aria-label="Revoke e2e-token"]');
    await owner.waitForSelector('.notice:has-text("revoked")');
    const refused = await dataPlane(jwt);
    say('revoked token refused', refused === 401, refused);

    // Container apps: getAuthtoken, decoded and verified against the JWKS.
    await owner.goto(cfg.url + '/console/containerapps');
    await checkAxe(owner, 'containerapps');
    await owner.click('button[aria-label="Get auth token for orders"]');
    await owner.waitForSelector('.verdict');
    const verdict = await owner.innerText('.verdict');
    say('container app token verified', verdict.includes('The signature is valid'), verdict);
    const appToken = await owner.inputValue('#app-token');
    await shot(owner, 'containerapps');

    await owner.goto(cfg.url + '/console/jwt');
    await owner.fill('#token', appToken);
    await owner.click('button:text-is("Decode and verify")');
    await owner.waitForSelector('.verdict');
    await shot(owner, 'jwt');
    await checkAxe(owner, 'jwt');

    // APIM: secrets only on the explicit action.
    await owner.goto(cfg.url + '/console/apim');
    const hidden = await owner.content();
    await checkAxe(owner, 'apim');
    await owner.click('button:has-text("Reveal secrets")');
    await owner.waitForSelector('dl.secrets');
    const shown = await owner.content();
    say('apim secrets revealed', !hidden.includes('orders-secret-e2e') && shown.includes('orders-secret-e2e'), '');
    await shot(owner, 'apim');

    // Applications: a client's secret once, never again.
    await owner.goto(cfg.url + '/console/apps');
    await owner.fill('#displayName', 'e2e-app');
    await owner.click('button:text-is("Register")');
    await owner.waitForSelector('#new-secret');
    const secret = await owner.inputValue('#new-secret');
    say('client secret shown once', secret.startsWith('tkd_'), secret.slice(0, 6));
    await shot(owner, 'apps');
    await checkAxe(owner, 'apps');
    await owner.click('a:has-text("Certificates, federated credentials and more")');
    await owner.waitForSelector('#fedName');
    say('client secret not shown again', !(await owner.content()).includes(secret), '');
    await owner.fill('#fedName', 'github-main');
    await owner.fill('#issuer', 'https://token.actions.githubusercontent.com');
    await owner.fill('#subject', 'repo:contoso/orders:ref:refs/heads/main');
    await owner.click('button:text-is("Add federated credential")');
    await owner.waitForSelector('.notice:has-text("federated credential was added")');
    await shot(owner, 'app');
    await checkAxe(owner, 'app');

    await owner.goto(cfg.url + '/console/users');
    await shot(owner, 'users');
    await checkAxe(owner, 'users');

    await owner.goto(cfg.url + '/console/identities');
    await owner.fill('#name', 'orders-web');
    await owner.click('button:text-is("Create")');
    await owner.waitForSelector('#mi-env');
    say('managed identity environment', (await owner.innerText('#mi-env')).includes('IDENTITY_HEADER='), '');
    await shot(owner, 'identities');
    await checkAxe(owner, 'identities');

    await owner.goto(cfg.url + '/console/keys');
    await checkAxe(owner, 'keys');
    await owner.click('button:has-text("Revoke…")');
    await owner.waitForSelector('.confirm');
    say('key revocation asks first', (await owner.innerText('.confirm')).includes('Yes, revoke'), '');
    await shot(owner, 'keys');

    await owner.goto(cfg.url + '/console/audit?action=' + encodeURIComponent('Tokend/*'));
    await owner.waitForSelector('.verdict');
    say('audit chain intact', (await owner.innerText('.verdict')).includes('intact') && (await text(owner)).includes('Tokend/clients/write'), '');
    await shot(owner, 'audit');
    await checkAxe(owner, 'audit');

    // The metrics: three sparklines drawn by the server; with JavaScript
    // htmx reloads them every step, so the lines appear within one even
    // on a node that has just started.
    await owner.goto(cfg.url + '/console/metrics');
    await owner.waitForSelector('svg.spark polyline', { timeout: 15000 });
    const charts = await owner.locator('section.chart').count();
    say('metrics charts', charts === 3 && (await text(owner)).includes('since the node started'), charts + ' charts');
    await shot(owner, 'metrics');
    await checkAxe(owner, 'metrics');

    // A phone-width view of the overview.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await owner.context().storageState() });
    const pp = await phone.newPage();
    await pp.goto(cfg.url + '/console/');
    const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    say('phone width', overflow <= 1, 'horizontal overflow ' + overflow + 'px');
    await pp.screenshot({ path: path.join(cfg.artifacts, 'overview-phone.png'), fullPage: true, caret: 'initial' });

    // A Reader can look but not change.
    const reader = await newPage();
    await signIn(reader, cfg.url, cfg.reader);
    await reader.goto(cfg.url + '/console/roles?scope=' + encodeURIComponent('/subscriptions/' + cfg.subscription));
    await reader.fill('#principal', cfg.newcomer.oid);
    await reader.selectOption('#role', { label: 'Contributor' });
    await reader.click('button:text-is("Assign")');
    await reader.waitForSelector('.noaccess');
    say('reader refused', (await text(reader)).includes('You do not have access'), '');

    // Sessions end: a form posted after the console session's lifetime
    // does nothing and goes through sign-in again.
    const short = await newPage();
    await signIn(short, cfg.shortURL, cfg.short);
    await short.goto(cfg.shortURL + '/console/jwt');
    await short.fill('#token', 'a.b.c');
    const seen = [];
    short.on('request', (r) => seen.push(r.method() + ' ' + r.url()));
    await short.waitForTimeout(5000);
    await short.click('button:text-is("Decode and verify")');
    // No Referer is sent (no-referrer): the new sign-in comes back to the
    // overview.
    await short.waitForSelector('main h1:text-is("Overview")');
    await short.waitForLoadState('networkidle');
    const expired = await text(short);
    say('expired session refused', seen.some((u) => u.includes('/console/signin')) && !expired.includes('not a JWT'), seen);

    say('csp', cspViolations.length === 0, cspViolations);
  } catch (e) {
    say('journey', false, String(e && e.stack || e));
  } finally {
    await browser.close();
  }
})();
