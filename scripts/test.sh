#!/usr/bin/env bash
# Runs every test. Needs only the .NET 10 SDK (and a C linker for the native CLI, which scripts/publish.sh installs
# if it is missing): DuckDB is embedded (DuckDB.NET bundles it), and the suites start whatever else they need
# themselves. Prints "N passed, N failed" at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
status=0

dotnet build Metrify.sln -c Release 2>&1 | tail -3 || status=1
# The whole suite, then the engine's once more with hardware intrinsics off, so the scalar fallbacks are tested too.
# A test that hangs fails after 5 minutes with a dump of its stacks, instead of holding CI to its time limit.
dotnet test Metrify.sln -c Release --no-build --blame-hang-timeout 5m 2>&1 | tee -a "$log" || status=1
DOTNET_EnableHWIntrinsic=0 dotnet test tests/Metrify.Engine.Tests -c Release --no-build --blame-hang-timeout 5m 2>&1 | tee -a "$log" || status=1
# The CLI as it ships is a native executable (scripts/publish.sh): its tests again, each command run as that process.
if bash scripts/publish.sh artifacts/metrify; then
    METRIFY_CLI="$PWD/artifacts/metrify/metrify" dotnet test tests/Metrify.Cli.Tests -c Release --no-build --blame-hang-timeout 5m 2>&1 | tee -a "$log" || status=1
else
    echo "the native publish failed"; status=1
fi

passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
if [ "$passed" -eq 0 ]; then status=1; fi
echo "$passed passed, $failed failed"
exit $status
