package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// packageJSON is the part of a package.json this host reads.
type packageJSON struct {
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

func readPackageJSON(path string) (packageJSON, error) {
	var pkg packageJSON
	data, err := os.ReadFile(path)
	if err != nil {
		return pkg, err
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return pkg, fmt.Errorf("%s: %w", path, err)
	}
	return pkg, nil
}

// InstallDependencies installs the program's packages with npm: `npm ci` when a
// package-lock.json pins them (the exact versions, and faster), else `npm install`.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // older engines send only this
	}
	verb := "install"
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
		verb = "ci"
	}
	cmd := exec.CommandContext(stream.Context(), "npm", verb, "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout = installWriter(stream, false)
	cmd.Stderr = installWriter(stream, true)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("npm %s in %s failed with exit code %d", verb, dir, exitErr.ExitCode())
		}
		return fmt.Errorf("running npm %s: %w (is npm on PATH?)", verb, err)
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// installWriter streams npm's output to the engine, which shows it to the user.
func installWriter(
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse], stderr bool,
) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		// The stream keeps the slice until it is sent: hand it a copy.
		out := append([]byte(nil), b...)
		resp := &pulumirpc.InstallDependenciesResponse{Stdout: out}
		if stderr {
			resp = &pulumirpc.InstallDependenciesResponse{Stderr: out}
		}
		if err := stream.Send(resp); err != nil {
			return 0, err
		}
		return len(b), nil
	})
}

// GetProgramDependencies lists the packages package.json names (dependencies and
// devDependencies; not their own dependencies) with the versions installed in node_modules, or
// the declared range when a package is not installed.
func (h *nodeHost) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	program, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the program's package.json: %w", err)
	}
	declared := map[string]string{}
	for _, deps := range []map[string]string{program.DevDependencies, program.Dependencies} {
		for name, version := range deps {
			declared[name] = version
		}
	}
	names := make([]string, 0, len(declared))
	for name := range declared {
		names = append(names, name)
	}
	sort.Strings(names)
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, name := range names {
		version := declared[name]
		if installed, err := readPackageJSON(filepath.Join(dir, "node_modules", name, "package.json")); err == nil {
			version = installed.Version
		}
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: name, Version: version})
	}
	return resp, nil
}
