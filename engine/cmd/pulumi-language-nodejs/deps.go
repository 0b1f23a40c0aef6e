package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi-kiro/engine/internal/host"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// packageJSON is the part of a package.json this host reads.
type packageJSON struct {
	Name            string            `json:"name"`
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

// InstallDependencies installs the program's packages with `npm install`, which keeps the
// versions a package-lock.json pins and adds what package.json gained since (a linked SDK).
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // older engines send only this
	}
	cmd := exec.CommandContext(stream.Context(), "npm", "install", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout = host.InstallWriter(stream, false)
	cmd.Stderr = host.InstallWriter(stream, true)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("npm install in %s failed with exit code %d", dir, exitErr.ExitCode())
		}
		return fmt.Errorf("running npm install: %w (is npm on PATH?)", err)
	}
	return nil
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

// Link adds SDKs that `pulumi package add` generated to the program's package.json as `file:`
// dependencies (the engine then runs InstallDependencies) and says how to import them.
func (h *nodeHost) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	info := req.GetInfo()
	var imports strings.Builder
	for _, dep := range req.GetPackages() {
		sdkDir := filepath.Join(info.GetRootDirectory(), dep.GetPath())
		sdk, err := readPackageJSON(filepath.Join(sdkDir, "package.json"))
		if err != nil {
			return nil, fmt.Errorf("reading the generated SDK's package.json: %w", err)
		}
		rel, err := filepath.Rel(info.GetProgramDirectory(), sdkDir)
		if err != nil {
			return nil, err
		}
		spec := fmt.Sprintf("dependencies[%s]=file:%s", sdk.Name, filepath.ToSlash(rel))
		cmd := exec.CommandContext(ctx, "npm", "pkg", "set", spec)
		cmd.Dir = info.GetProgramDirectory()
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("npm pkg set %s: %w: %s", spec, err, out)
		}
		fmt.Fprintf(&imports, "  import * as %s from %q;\n", importName(dep.GetPackage().GetName()), sdk.Name)
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: "You can import the SDK in your TypeScript code with:\n\n" + imports.String(),
	}, nil
}

// importName is a package name as a TypeScript identifier: "kiro" stays, "my-pkg" is myPkg.
func importName(pkg string) string {
	parts := strings.FieldsFunc(pkg, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}
