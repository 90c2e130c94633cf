// Package playwrightworkspaces serves Playwright Workspaces, the successor
// of Microsoft Playwright Testing in Azure App Testing: the
// Microsoft.LoadTestService/playwrightWorkspaces ARM resource with its
// quotas (armworkspaces.go, quotas.go), and the workspace data plane under
// {dataplaneUri}/playwrightworkspaces/{workspaceId}, api-version 2025-09-01
// (dataplane.go configures it; access tokens are package playwright's
// Tokens, browsers.go answers GetBrowsers, testruns.go the test runs,
// metadata.go the workspace metadata the @azure/playwright package reads).
// Service.Describe is the provider's descriptor.
//
// A workspace is one generic resource (Body: workspaceDocument, SortName:
// its workspace id) plus a playwright_accounts row indexing that id, the
// index Playwright Testing's accounts use: a workspace id is a plain GUID
// and an account id "{location}_{uuid}", so the two never collide, and
// access tokens of both live in one table and are checked in one way.
package playwrightworkspaces
