// Stand-in: see ../otlpencodingextension/go.mod. Without it Go would also look for the
// otlpencodingextension package inside this parent module, whose zip is refused as well.
module github.com/open-telemetry/opentelemetry-collector-contrib/extension/encoding

go 1.25
