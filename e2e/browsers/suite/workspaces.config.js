// @azure/playwright as shipped, pointed at tokend by PLAYWRIGHT_SERVICE_URL
// and PLAYWRIGHT_SERVICE_ACCESS_TOKEN (e2e/browsers_test.go sets them).
const { defineConfig } = require('@playwright/test');
const { createAzurePlaywrightConfig, ServiceOS, ServiceAuth } = require('@azure/playwright');

const config = createAzurePlaywrightConfig({ testDir: __dirname, reporter: 'list', outputDir: require('os').tmpdir() + '/tokend-e2e-results' },
  { serviceAuthType: ServiceAuth.ACCESS_TOKEN, os: ServiceOS.LINUX, exposeNetwork: '<loopback>' });
// The browser server behind tokend launches Debian's chromium.
config.use = { ...config.use, launchOptions: { executablePath: process.env.CHROMIUM || '/usr/bin/chromium' } };
module.exports = defineConfig(config);
