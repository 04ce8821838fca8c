// Package buildinfo holds the version that goapi reports.
package buildinfo

import (
	"fmt"
	"runtime"
)

// Version is the release of goapi. The benchmark script rewrites this line to
// make a one-line source change.
const Version = "0.3.0"

// Line returns the one-line version report that goapi prints by default.
func Line() string {
	return fmt.Sprintf("goapi %s (%s %s/%s)", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
