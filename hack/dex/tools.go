//go:build tools

// Package tools pins the Dex command so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/dexidp/dex/cmd/dex"
