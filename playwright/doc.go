// Package playwright serves Microsoft Playwright Testing: the
// Microsoft.AzurePlaywrightService/accounts ARM resource through the ARM
// router (armaccounts.go, operations.go), and the Playwright data plane
// ({endpoint}/accounts/{accountId} and its access tokens, api-version
// 2024-12-01) as a surface of its own on the shared pipeline (dataplane.go
// configures it; accesstokens.go, list.go, jwt.go, dashboard.go serve it).
// Service.Describe is the provider's descriptor; roles.go declares the
// data plane's roles and audience.
//
// (The ARM handlers are in armaccounts.go, not accounts_arm.go: Go builds a
// file named *_arm.go only for GOARCH=arm.)
package playwright
