package main

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/pulumi-kiro/engine/internal/sdkgen"
)

// GeneratePackage writes a TypeScript SDK for the schema into req.Directory with Pulumi's
// Node.js code generator. `--local` (req.Local) makes an SDK that compiles itself when
// installed from a path (package.json `main` and a postinstall running tsc).
func (h *nodeHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	return sdkgen.Generate(req, func(
		pkg *schema.Package, loader schema.ReferenceLoader, req *pulumirpc.GeneratePackageRequest,
	) (map[string][]byte, error) {
		return nodejsgen.GeneratePackage(hostName, pkg, req.GetExtraFiles(),
			req.GetLocalDependencies(), req.GetLocal(), loader)
	})
}

// GenerateProgram turns the engine's PCL into TypeScript: `pulumi import` prints it as the
// code to add to the program.
func (h *nodeHost) GenerateProgram(
	_ context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	return sdkgen.Program(req, func(program *pcl.Program) (map[string][]byte, hcl.Diagnostics, error) {
		return nodejsgen.GenerateProgramWithOptions(program, nodejsgen.ProgramOptions{Runtime: "nodejs"})
	}, pcl.PreferOutputVersionedInvokes)
}
