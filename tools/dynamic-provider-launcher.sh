#!/bin/sh
# pulumi-resource-pulumi-nodejs as tools/toolchain installs it: starts the Node.js dynamic-provider host of the
# project's @pulumi/pulumi, as the SDK's own launcher (sdk/nodejs/dist/pulumi-resource-pulumi-nodejs) does,
# without first starting node just to find it (~0.1 CPU-s and ~0.15 s before each provider process) when it is
# in ./node_modules: the engine starts provider plugins in the program's directory.
script="$PWD/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"
if [ ! -f "$script" ]; then
  script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
fi
exec node "$script" "$@"
