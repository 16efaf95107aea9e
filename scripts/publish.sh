#!/usr/bin/env bash
# Publishes the CLI as it ships, into artifacts/metrify: one native executable (Native AOT) compiled for x86-64-v3
# (Haswell and later; AVX2), beside the native libraries it loads (DuckDB, librdkafka, Arrow). No JIT runs in it and
# no type is loaded at start-up: docs/design.md, "Shipping". Needs a C toolchain to link (clang, or it is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
linker=$(command -v clang || command -v clang-14 || true)
if [ -z "$linker" ]; then
    apt-get update -qq && apt-get install -y -qq clang zlib1g-dev > /dev/null
    linker=$(command -v clang)
fi
out=${1:-artifacts/metrify}
rm -rf "$out"   # an older publish (a ReadyToRun folder) would leave its files beside the executable
dotnet publish engine/Metrify.Cli -c Release -r linux-x64 --self-contained true -p:IlcInstructionSet=x86-64-v3 \
    -p:CppCompilerAndLinker="$linker" -o "$out" 2>&1 | grep -E 'error|warning|-> .*/$' | sort -u
test -x "$out/metrify"
