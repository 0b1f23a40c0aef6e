//go:build tools

// Package tools pins the engine's main package so `go mod tidy` keeps pkg/v3 in go.mod.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
