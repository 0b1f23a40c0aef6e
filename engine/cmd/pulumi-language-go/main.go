// Command pulumi-language-go is a small Go language host for the Pulumi engine.
//
// Why pulumi-kiro builds its own: Pulumi's host is the module
// github.com/pulumi/pulumi/sdk/go/pulumi-language-go/v3, which the Go module proxy this project
// can reach does not serve in a version that matches the engine. This host speaks the same
// LanguageRuntime gRPC protocol: it builds the program with the Go toolchain (`go build`, so the
// Go build cache makes every build after the first fast) and runs the binary with the
// environment variables Pulumi's Go SDK reads (PULUMI_MONITOR, PULUMI_PROJECT, ...; the names
// are the SDK's own constants).
//
// It implements what the CLI asks of a host for `up`, `preview`, `refresh`, `destroy` and
// `import` (Handshake, GetPluginInfo, GetRequiredPlugins/Packages, GetProgramDependencies,
// RuntimeOptionsPrompts, InstallDependencies, About, Run, and GenerateProgram for the code
// `pulumi import` prints) and `package gen-sdk` (GeneratePackage). Both generators are Pulumi's
// (pkg/v3/codegen/go). It refuses, with a message naming the method, what pulumi-kiro does not
// use: writing a whole project (GenerateProject, `pulumi convert`), `package add` (Link),
// `package pack` (Pack), templates (Template) and Go provider plugins (RunPlugin).
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

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pulumi-kiro/engine/internal/host"
	"github.com/pulumi-kiro/engine/internal/sdkgen"
)

const hostName = "pulumi-language-go"

func main() {
	host.Serve(hostName, func(engineAddress string) pulumirpc.LanguageRuntimeServer {
		return &goHost{Base: host.Base{EngineAddress: engineAddress}}
	})
}

type goHost struct {
	host.Base
}

func (h *goHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

// InstallDependencies downloads the modules the program's go.sum pins (`pulumi install`).
func (h *goHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory()
	}
	cmd := exec.CommandContext(stream.Context(), "go", "mod", "download")
	cmd.Dir = dir
	cmd.Stdout = host.InstallWriter(stream, false)
	cmd.Stderr = host.InstallWriter(stream, true)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod download in %s: %w", dir, err)
	}
	return nil
}

func (h *goHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, errors.New("the Go toolchain (`go`) is not on PATH")
	}
	out, err := exec.Command(gobin, "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("running go env GOVERSION: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: gobin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "go"),
	}, nil
}

// Run builds the program (or takes the prebuilt one named by the `binary` runtime option) and
// runs it, connected to the engine through the environment the Go SDK reads.
func (h *goHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	binary, cleanup, buildErr := programBinary(ctx, req.GetInfo(), req.GetPwd())
	if buildErr != "" {
		return &pulumirpc.RunResponse{Error: buildErr}, nil
	}
	defer cleanup()

	env, err := sdkEnv(req, h.EngineAddress)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return host.RunResult(cmd.Run()), nil
}

// programBinary returns the executable to run and what removes it afterwards, or an error
// message for the user (a failed build shows the compiler's output).
func programBinary(
	ctx context.Context, info *pulumirpc.ProgramInfo, pwd string,
) (string, func(), string) {
	if binary := info.GetOptions().GetFields()["binary"].GetStringValue(); binary != "" {
		if !filepath.IsAbs(binary) {
			binary = filepath.Join(info.GetRootDirectory(), binary)
		}
		return binary, func() {}, ""
	}
	dir := programDir(info, pwd)
	scratch, err := os.MkdirTemp("", "pulumi-go-program-")
	if err != nil {
		return "", nil, err.Error()
	}
	cleanup := func() { _ = os.RemoveAll(scratch) }
	binary := filepath.Join(scratch, "program")
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Sprintf("building the Go program in %s failed (%v):\n%s",
			dir, err, strings.TrimSpace(string(out)))
	}
	return binary, cleanup, ""
}

// programDir is the Go package to build: the entry point inside the program directory.
func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = pwd
	}
	if entry := info.GetEntryPoint(); entry != "" && entry != "." {
		dir = filepath.Join(dir, entry)
	}
	return dir
}

// sdkEnv is how the Go SDK (pulumi.Run) learns where the engine is and what it is deploying.
func sdkEnv(req *pulumirpc.RunRequest, engineAddress string) ([]string, error) {
	config, err := jsonOrEmpty(req.GetConfig(), "{}")
	if err != nil {
		return nil, err
	}
	secretKeys, err := jsonOrEmpty(req.GetConfigSecretKeys(), "[]")
	if err != nil {
		return nil, err
	}
	return []string{
		pulumi.EnvMonitor + "=" + req.GetMonitorAddress(),
		pulumi.EnvEngine + "=" + engineAddress,
		pulumi.EnvProject + "=" + req.GetProject(),
		pulumi.EnvStack + "=" + req.GetStack(),
		pulumi.EnvOrganization + "=" + req.GetOrganization(),
		pulumi.EnvPulumiRootDirectory + "=" + req.GetInfo().GetRootDirectory(),
		pulumi.EnvConfig + "=" + config,
		pulumi.EnvConfigSecretKeys + "=" + secretKeys,
		pulumi.EnvDryRun + "=" + strconv.FormatBool(req.GetDryRun()),
		pulumi.EnvParallel + "=" + strconv.Itoa(int(req.GetParallel())),
	}, nil
}

// jsonOrEmpty renders value as JSON, or empty when it is nil: the SDK expects an object and a
// list, never null.
func jsonOrEmpty[T any](value T, empty string) (string, error) {
	out, err := json.Marshal(value)
	if err != nil {
		return "", err
	}
	if string(out) == "null" {
		return empty, nil
	}
	return string(out), nil
}

// GeneratePackage writes a Go SDK for the schema with Pulumi's Go code generator.
func (h *goHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	if len(req.GetExtraFiles()) > 0 {
		return nil, refused("GeneratePackage with overlay files (--overlays)")
	}
	return sdkgen.Generate(req, func(
		pkg *schema.Package, _ schema.ReferenceLoader, req *pulumirpc.GeneratePackageRequest,
	) (map[string][]byte, error) {
		return gogen.GeneratePackage(hostName, pkg, req.GetLocalDependencies())
	})
}

// GenerateProgram turns a program in Pulumi's intermediate language (PCL) into Go with Pulumi's
// Go code generator: the code `pulumi import` prints for the resources it adopted.
func (h *goHost) GenerateProgram(
	_ context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	return sdkgen.Program(req, gogen.GenerateProgram)
}

// refused is the answer to a part of the protocol this host does not implement; instead, if
// not empty, says what to do.
func refused(what string, instead ...string) error {
	message := fmt.Sprintf("%s: %s is not supported by pulumi-kiro's Go language host, which "+
		"runs Go programs and generates Go code and SDKs (engine/README.md)", hostName, what)
	if len(instead) > 0 {
		message += "; " + strings.Join(instead, " ")
	}
	return status.Error(codes.Unimplemented, message)
}

func (h *goHost) RunPlugin(
	*pulumirpc.RunPluginRequest, grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	return refused("running a Go provider plugin (RunPlugin)")
}

func (h *goHost) GenerateProject(
	context.Context, *pulumirpc.GenerateProjectRequest,
) (*pulumirpc.GenerateProjectResponse, error) {
	return nil, refused("generating a Go project (GenerateProject)")
}

func (h *goHost) Pack(context.Context, *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	return nil, refused("packing an SDK (Pack)")
}

func (h *goHost) Link(context.Context, *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	return nil, refused("linking an SDK into a program (Link, for `pulumi package add`)",
		"generate the SDK with `pulumi package gen-sdk --language go` and point the program's",
		"go.mod at it with a `replace`, as examples/go does")
}

func (h *goHost) Template(context.Context, *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	return nil, refused("project templates (Template)")
}
