// Command pulumi-language-python is a small Python language host for the Pulumi engine.
//
// Why pulumi-kiro builds its own: Pulumi's host lives in the module
// github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3, which has no tags of its
// own, and the Go module proxy this project can reach serves no version of it that can be named
// offline. This host speaks the same LanguageRuntime gRPC protocol and runs programs with the
// SDK's own `pulumi-language-python-exec`, installed next to this binary, so a program behaves
// as it does under Pulumi's host. It covers what the CLI needs to run Python programs and
// Python provider plugins (PulumiPlugin.yaml), and `package gen-sdk` (GeneratePackage, with
// Pulumi's Python code generator, pkg/v3/codegen/python). It does not convert programs
// (GenerateProgram, GenerateProject), link or pack SDKs (Link, Pack) or install packages
// (InstallDependencies does nothing): the engine gets the gRPC "not implemented" answer for the
// first four.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"

	"github.com/pulumi-kiro/engine/internal/host"
	"github.com/pulumi-kiro/engine/internal/sdkgen"
)

func main() {
	host.Serve("pulumi-language-python", func(engineAddress string) pulumirpc.LanguageRuntimeServer {
		return &pythonHost{Base: host.Base{EngineAddress: engineAddress}}
	})
}

type pythonHost struct {
	host.Base
}

func (h *pythonHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

// InstallDependencies is a no-op: the environment running the engine already has the packages.
func (h *pythonHost) InstallDependencies(
	*pulumirpc.InstallDependenciesRequest,
	grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

func (h *pythonHost) About(
	_ context.Context, req *pulumirpc.AboutRequest,
) (*pulumirpc.AboutResponse, error) {
	python := pythonCommand(req.GetInfo())
	out, err := exec.Command(python, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", python, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: python,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "Python "),
	}, nil
}

// Run runs a Pulumi program through pulumi-language-python-exec, which connects it to the
// resource monitor and runs it as __main__.
func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	execScript, err := siblingPath("pulumi-language-python-exec")
	if err != nil {
		return nil, err
	}
	info := req.GetInfo()
	args := []string{"-u", execScript,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.EngineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
	}
	if info.GetRootDirectory() != "" {
		args = append(args, "--root_directory", info.GetRootDirectory())
	}
	args = append(args, programPath(req))
	args = append(args, req.GetArgs()...)

	env, err := configEnv(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, pythonCommand(info), args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return host.RunResult(cmd.Run()), nil
}

// RunPlugin runs a Python provider plugin (a directory with PulumiPlugin.yaml), streaming its
// output back to the engine, which reads the provider's port from the first stdout line.
func (h *pythonHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	info := req.GetInfo()
	args := append([]string{"-u", programPath(&pulumirpc.RunRequest{Info: info, Program: req.GetProgram()})},
		req.GetArgs()...)
	cmd := exec.CommandContext(stream.Context(), pythonCommand(info), args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = req.GetEnv()
	cmd.Stdout = host.StreamWriter(stream, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	cmd.Stderr = host.StreamWriter(stream, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = exitErr.ExitCode()
	}
	return stream.Send(&pulumirpc.RunPluginResponse{
		Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)},
	})
}

// GeneratePackage writes a Python SDK for the schema with Pulumi's Python code generator;
// overlay files (--overlays) are passed on to it.
func (h *pythonHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	return sdkgen.Generate(req, func(
		pkg *schema.Package, loader schema.ReferenceLoader, req *pulumirpc.GeneratePackageRequest,
	) (map[string][]byte, error) {
		return pygen.GeneratePackage("pulumi-language-python", pkg, req.GetExtraFiles(), loader)
	})
}

// configEnv passes the stack configuration the way the Python SDK reads it.
func configEnv(req *pulumirpc.RunRequest) ([]string, error) {
	values := req.GetConfig()
	if values == nil {
		values = map[string]string{} // the SDK expects an object, never null
	}
	config, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	return []string{"PULUMI_CONFIG=" + string(config), "PULUMI_CONFIG_SECRET_KEYS=" + string(secrets)}, nil
}

// programPath is the program to run: the entry point inside the program directory ("." runs
// the directory's __main__.py).
func programPath(req *pulumirpc.RunRequest) string {
	info := req.GetInfo()
	if info == nil || info.GetProgramDirectory() == "" {
		return req.GetProgram()
	}
	return filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
}

// pythonCommand honours the project's `virtualenv` runtime option, then PULUMI_PYTHON_CMD,
// then python3 on PATH.
func pythonCommand(info *pulumirpc.ProgramInfo) string {
	if venv := info.GetOptions().GetFields()["virtualenv"].GetStringValue(); venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(info.GetRootDirectory(), venv)
		}
		return filepath.Join(venv, "bin", "python")
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd
	}
	return "python3"
}

func siblingPath(name string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	path := filepath.Join(filepath.Dir(self), name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s must be installed next to pulumi-language-python: %w", name, err)
	}
	return path, nil
}
