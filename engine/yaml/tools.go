//go:build tools

// Package tools pins Pulumi YAML's language host. It lives in a module of its own: pulumi-yaml
// v1.25.0 (the newest release the Go proxy serves) is built against Pulumi v3.206.0, whose
// plugin API differs from the engine's v3.274.1; the two talk over gRPC only, as they do in
// Pulumi's own distribution, so each keeps the libraries it was written for.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
