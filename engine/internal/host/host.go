// Package host holds what pulumi-kiro's language hosts share: serving the LanguageRuntime
// protocol where the engine finds it, the answers that are the same in every host, turning a
// program's exit into the engine's answer, and streaming a command's output back to the CLI.
package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/constant"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Serve runs the host named name: newServer gets the engine's address (the engine passes it as
// the last argument, after any logging or tracing flags, which the hosts do not need). The
// engine reads the port from the first line of stdout.
func Serve(name string, newServer func(engineAddress string) pulumirpc.LanguageRuntimeServer) {
	server := newServer(lastPositional(os.Args[1:]))
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, server)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func lastPositional(args []string) string {
	for i := len(args) - 1; i >= 0; i-- {
		if !strings.HasPrefix(args[i], "-") {
			return args[i]
		}
	}
	return ""
}

// Base answers what every host answers alike; a host embeds it and adds the rest.
// GetRequiredPlugins and GetRequiredPackages report none: a program names its providers in
// Pulumi.yaml (plugins.providers), and automatic plugin acquisition is off in pulumi-kiro's
// environments.
type Base struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	EngineAddress string
}

func (b *Base) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		b.EngineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (b *Base) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (b *Base) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (b *Base) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (b *Base) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// RunResult turns the program's exit into the engine's answer. Pulumi's language SDKs exit
// with ExitStatusLoggedError after they have shown the user the error: the engine must stop
// without adding a second one.
func RunResult(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if exitErr.ExitCode() == constant.ExitStatusLoggedError {
			return &pulumirpc.RunResponse{Bail: true}
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}
	}
	return &pulumirpc.RunResponse{Error: err.Error()}
}

// WriterFunc is an io.Writer made of a function.
type WriterFunc func([]byte) (int, error)

func (f WriterFunc) Write(b []byte) (int, error) { return f(b) }

// StreamWriter sends what is written to a gRPC stream, each write wrapped by wrap.
func StreamWriter[T any](stream grpc.ServerStreamingServer[T], wrap func([]byte) *T) io.Writer {
	return WriterFunc(func(b []byte) (int, error) {
		// The stream keeps the slice until it is sent: hand it a copy.
		if err := stream.Send(wrap(append([]byte(nil), b...))); err != nil {
			return 0, err
		}
		return len(b), nil
	})
}

// InstallWriter streams an install command's stdout (or stderr) back to the CLI.
func InstallWriter(
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse], stderr bool,
) io.Writer {
	return StreamWriter(stream, func(b []byte) *pulumirpc.InstallDependenciesResponse {
		if stderr {
			return &pulumirpc.InstallDependenciesResponse{Stderr: b}
		}
		return &pulumirpc.InstallDependenciesResponse{Stdout: b}
	})
}
