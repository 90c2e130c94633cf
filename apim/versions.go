package apim

import "github.com/tokend-dev/tokend/wire"

// Versions are the published Microsoft.ApiManagement api-versions that carry
// the authorizationServers operations: every one except 2016-07-07 (see
// OPERATIONS.md §7). armapimanagement/v2 sends 2022-08-01 and /v3 sends
// 2024-05-01. The contract of the operations served here is the same in all
// of them.
var Versions = wire.NewAPIVersions(
	"2016-10-10", "2017-03-01", "2018-01-01", "2018-06-01-preview", "2019-01-01",
	"2019-12-01", "2019-12-01-preview", "2020-06-01-preview", "2020-12-01",
	"2021-01-01-preview", "2021-04-01-preview", "2021-08-01", "2021-12-01-preview",
	"2022-04-01-preview", "2022-08-01", "2022-09-01-preview", "2023-03-01-preview",
	"2023-05-01-preview", "2023-09-01-preview", "2024-05-01", "2024-06-01-preview",
	"2024-10-01-preview", "2025-03-01-preview", "2025-09-01-preview", "2026-09-01-preview",
)
