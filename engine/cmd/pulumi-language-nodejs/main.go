// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi engine.
//
// Why pulumi-kiro builds its own: Pulumi's host is the Go module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, which the Go module proxy
// this project can reach does not serve. This host speaks the same LanguageRuntime gRPC
// protocol and runs a program with the entry point of the program's own `@pulumi/pulumi`
// (`@pulumi/pulumi/cmd/run`, resolved from the program directory), which registers ts-node, so
// TypeScript programs run from source as under Pulumi's host. Code generation is Pulumi's own
// (github.com/pulumi/pulumi/pkg/v3/codegen/nodejs).
//
// What it implements, per LanguageRuntime method (engine/README.md has it as a table, beside
// the other hosts):
//
//   - Handshake, GetPluginInfo, RuntimeOptionsPrompts (no prompts): what every command asks.
//   - Run: `up`, `preview`, `refresh`, `destroy` and `import` run the program through
//     `@pulumi/pulumi/cmd/run` with the stack config in PULUMI_CONFIG. The project's runtime
//     options `typescript` (default true), `tsconfig` and `nodeargs` are honoured.
//   - GetRequiredPlugins, GetRequiredPackages: none, as from the Python host: providers come
//     from the project's `plugins.providers` paths, and automatic plugin downloads are off in
//     pulumi-kiro's environments.
//   - InstallDependencies (`pulumi install`, `pulumi package add`): `npm install` in the program
//     directory.
//   - About, GetProgramDependencies (`pulumi about`): node's version; the versions installed in
//     node_modules of the dependencies package.json names.
//   - GeneratePackage (`pulumi package gen-sdk --language nodejs`): a TypeScript SDK.
//   - GenerateProgram (the code `pulumi import` prints): TypeScript from the engine's PCL.
//   - Link (`pulumi package add`): the generated SDK becomes a `file:` dependency in
//     package.json.
//   - Cancel (Ctrl-C): the running program gets SIGINT.
//
// Refused (the gRPC status Unimplemented, with a message naming the method and what to do
// instead): RunPlugin (provider or policy plugins written in Node.js), GenerateProject
// (`pulumi convert`), Pack and Template. Only npm installs packages (not yarn, pnpm or bun),
// and only node runs programs (not bun).
package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/pulumi-kiro/engine/internal/host"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const hostName = "pulumi-language-nodejs"

func main() {
	host.Serve(hostName, func(engineAddress string) pulumirpc.LanguageRuntimeServer {
		return &nodeHost{Base: host.Base{EngineAddress: engineAddress}}
	})
}

type nodeHost struct {
	host.Base

	mu          sync.Mutex
	stopProgram context.CancelFunc // interrupts the program Run is running, if any
}

// refuse is the answer to a method this host does not implement: the command that needs it
// stops with a message naming the method and what to do instead.
func refuse(method, instead string) error {
	return status.Errorf(codes.Unimplemented,
		"%s (pulumi-kiro's Node.js language host) does not implement %s: %s", hostName, method, instead)
}

func (h *nodeHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: %w", err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", node, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *nodeHost) RunPlugin(
	*pulumirpc.RunPluginRequest, grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	return refuse("RunPlugin", "plugins written in Node.js are not supported; "+
		"the kiro provider plugin runs on the Python host")
}

func (h *nodeHost) GenerateProject(
	context.Context, *pulumirpc.GenerateProjectRequest,
) (*pulumirpc.GenerateProjectResponse, error) {
	return nil, refuse("GenerateProject", "`pulumi convert` to TypeScript is not supported")
}

func (h *nodeHost) Pack(context.Context, *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	return nil, refuse("Pack", "build the SDK with `npm install` from a program that depends on it")
}

func (h *nodeHost) Template(context.Context, *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	return nil, refuse("Template", "templates are not supported")
}
