// Package otlpencodingextension is an empty stand-in; see go.mod. It is never linked into the collector.
package otlpencodingextension
