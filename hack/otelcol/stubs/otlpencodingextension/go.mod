// Stand-in for a module whose source archive the Go module proxy here refuses (403) although its
// go.mod is served. Only the tests of contrib's fileexporter import it; `go mod tidy` (run by the
// collector builder) loads tests of dependencies and would fail without it. Nothing built uses it.
module github.com/open-telemetry/opentelemetry-collector-contrib/extension/encoding/otlpencodingextension

go 1.25
