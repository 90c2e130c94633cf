// One test: a page from the local server PAGE_URL, in a browser opened
// through tokend.
const { test, expect } = require('@playwright/test');

test('a local page in a browser opened through tokend', async ({ page }) => {
  await page.goto(process.env.PAGE_URL);
  await expect(page).toHaveTitle('tokend e2e page');
});
