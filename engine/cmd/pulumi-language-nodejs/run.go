package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi-kiro/engine/internal/host"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// runEntryPoint is the module of `@pulumi/pulumi` that connects a program to the engine and
// runs it (registering ts-node first for TypeScript).
const runEntryPoint = "@pulumi/pulumi/cmd/run"

// runOptions are the project's `runtime.options` this host honours.
type runOptions struct {
	typescript bool     // run .ts sources through ts-node (default true)
	tsconfig   string   // tsconfig path, relative to the program directory
	nodeArgs   []string // extra arguments to node, before the entry point
}

func parseRunOptions(req *pulumirpc.RunRequest) (runOptions, error) {
	opts := runOptions{typescript: true}
	fields := req.GetInfo().GetOptions().GetFields()
	if v, ok := fields["typescript"]; ok {
		b, isBool := v.AsInterface().(bool)
		if !isBool {
			return opts, fmt.Errorf("runtime option typescript must be true or false, not %v", v.AsInterface())
		}
		opts.typescript = b
	}
	if v, ok := fields["tsconfig"]; ok {
		opts.tsconfig = v.GetStringValue()
	}
	if v, ok := fields["nodeargs"]; ok {
		opts.nodeArgs = strings.Fields(v.GetStringValue())
	}
	return opts, nil
}

// Run runs the program with its own @pulumi/pulumi and waits for it.
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node is not on PATH: install Node.js 18 or newer"}, nil
	}
	opts, err := parseRunOptions(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	programDir := req.GetInfo().GetProgramDirectory()
	entry, err := resolveModule(node, programDir, runEntryPoint)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := runEnv(req, opts)
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, opts.nodeArgs...), entry)
	args = append(args, h.runArgs(req)...)

	cmdCtx, stop := context.WithCancel(ctx)
	defer stop()
	h.track(stop)
	defer h.track(nil)
	cmd := exec.CommandContext(cmdCtx, node, args...)
	cmd.Dir = programDir
	cmd.Env = env
	// Node sets its stdio non-blocking when they are terminals; sharing the host's own files
	// through a wrapper keeps that from leaking into this process.
	cmd.Stdout = struct{ *os.File }{os.Stdout}
	cmd.Stderr = struct{ *os.File }{os.Stderr}
	// On cancellation the program gets SIGINT, as from a terminal, and time to stop cleanly.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return host.RunResult(fmt.Errorf("could not run node: %w", err)), nil
	}
	return host.RunResult(nil), nil
}

// runArgs are the run entry point's flags, then the program (its entry point relative to the
// program directory, "." for package.json's main) and the program's own arguments.
func (h *nodeHost) runArgs(req *pulumirpc.RunRequest) []string {
	var args []string
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.EngineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", req.GetInfo().GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", req.GetInfo().GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

// runEnv is this process's environment plus the stack config, which @pulumi/pulumi reads from
// PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS, and the TypeScript switches of the run entry point.
func runEnv(req *pulumirpc.RunRequest, opts runOptions) ([]string, error) {
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{} // the SDK expects an object, never null
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretsJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretsJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript))
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	return env, nil
}

// resolveModule finds a module as the program itself would (its node_modules), so the program
// runs with the @pulumi/pulumi it depends on.
func resolveModule(node, programDir, module string) (string, error) {
	script := fmt.Sprintf("console.log(require.resolve(%q))", module)
	cmd := exec.Command(node, "-e", script)
	cmd.Dir = programDir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot find %s from %s: the program's dependencies are not "+
			"installed; run `npm install` (or `pulumi install`) there", module, programDir)
	}
	return strings.TrimSpace(string(out)), nil
}

// track records the cancel function of the program being run, for Cancel.
func (h *nodeHost) track(stop context.CancelFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopProgram = stop
}

// Cancel interrupts the running program (the engine asks on Ctrl-C).
func (h *nodeHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopProgram != nil {
		h.stopProgram()
	}
	return &emptypb.Empty{}, nil
}
