// @azure/microsoft-playwright-testing as shipped, pointed at tokend by
// PLAYWRIGHT_SERVICE_URL and PLAYWRIGHT_SERVICE_ACCESS_TOKEN.
const { defineConfig } = require('@playwright/test');
const { getServiceConfig, ServiceOS, ServiceAuth } = require('@azure/microsoft-playwright-testing');

const base = defineConfig({ testDir: __dirname, reporter: 'list', outputDir: require('os').tmpdir() + '/tokend-e2e-results' });
const config = getServiceConfig(base, { serviceAuthType: ServiceAuth.ACCESS_TOKEN, os: ServiceOS.LINUX, exposeNetwork: '<loopback>' });
config.use = { ...config.use, launchOptions: { executablePath: process.env.CHROMIUM || '/usr/bin/chromium' } };
module.exports = defineConfig(base, config);
