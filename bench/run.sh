#!/usr/bin/env bash
# Every benchmark behind docs/benchmarks.md, with the exact commands. Takes about 10 minutes on 2 cores.
#   bash bench/run.sh            end-to-end comparison with DuckDB, allocations, stage breakdown, micro-benchmarks
#   bash bench/run.sh compare    only the end-to-end comparison
#   bash bench/run.sh frames     only the meter frame benchmarks (P1, SML, CRC-16), about 6 minutes
#   bash bench/run.sh daemon     only metrify run consuming Kafka (mock cluster): rates, latency, 10-minute memory, ~15 minutes
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }   # GNU time: peak RSS of a child

dotnet build Metrify.sln -c Release 2>&1 | tail -2
# The CLI as it ships: one native executable (Native AOT, x86-64-v3), docs/design.md "Shipping".
bash scripts/publish.sh
# DuckDB's side of the race, run as its own CLI would: the same libduckdb through its C API, no managed host.
linker=$(command -v clang || command -v clang-14)
"$linker" -O2 -o artifacts/duckdb-copy bench/duckdb-copy.c -Lartifacts/metrify -lduckdb -Wl,-rpath,"$PWD/artifacts/metrify"
bench=bench/Metrify.Bench/bin/Release/net10.0/linux-x64/Metrify.Bench.dll
out="docs/benchmarks/$(lscpu | sed -n 's/^Model name: *//p' | tr -c 'A-Za-z0-9\n' '-' | tr -s '-')"
data=/tmp/metrify-compare/data-5000000
mkdir -p "$out"
if [ "${1:-all}" = frames ]; then
    # The medium job (more launches and iterations than short): this shared host's speed drifts within minutes.
    dotnet "$bench" --filter '*MeterFrameBench*' '*Crc16Bench*' --job medium --inProcess
    cp BenchmarkDotNet.Artifacts/results/*MeterFrameBench*-report-github.md BenchmarkDotNet.Artifacts/results/*Crc16Bench*-report-github.md "$out/"
    git rev-parse --short HEAD > "$out/frames-commit.txt"
    exit 0
fi
if [ "${1:-all}" = daemon ]; then
    for rate in 800000 1000000 1200000 1500000; do
        dotnet "$bench" daemon --metrify artifacts/metrify/metrify --readings 0 --seconds 20 --rate $rate --per-message 16
    done | tee "$out/daemon.txt"
    # 10 minutes at 1,000,000/s as CSV lines (the mock broker keeps 5 MB a partition: ~2.5 s of CSV, ~0.5 s of JSON
    # lines, which a 10-minute JSON run outlasts on this box; add --format jsonl to see it).
    dotnet "$bench" daemon --metrify artifacts/metrify/metrify --readings 0 --seconds 20 --rate 1000000 --per-message 16 --format csv | tee -a "$out/daemon.txt"
    dotnet "$bench" daemon --metrify artifacts/metrify/metrify --readings 1500000 --seconds 600 --rate 1000000 --per-message 16 --format csv | tee -a "$out/daemon.txt"
    git rev-parse --short HEAD > "$out/daemon-commit.txt"
    exit 0
fi
{ dotnet --version; git rev-parse --short HEAD; grep -h 'PackageVersion Include' Directory.Packages.props; } > "$out/Versions.txt"

# 5 M simulated readings (made on first use), metrify ingest vs DuckDB COPY, 5 alternating cold runs each.
dotnet "$bench" compare --metrify artifacts/metrify/metrify --duckdb artifacts/duckdb-copy --runs 5 | tee "$out/comparison.md"
[ "${1:-all}" = compare ] && exit 0
dotnet "$bench" alloc "$data/readings.csv" "$data/readings.jsonl" | tee "$out/allocations.txt"
dotnet "$bench" stages "$data/readings.csv" | tee "$out/stages.txt"
dotnet "$bench" --filter '*' --job short --inProcess
cp BenchmarkDotNet.Artifacts/results/*-report-github.md "$out/"
