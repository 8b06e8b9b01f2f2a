#!/usr/bin/env bash
# Regenerates the initial migrations from the model. Only for use before a schema has shipped;
# after that, add a new migration per change instead:
#   dotnet ef migrations add NAME --project src/Kiln.Server --context SqliteKilnDb --output-dir Data/Migrations/Sqlite
# (and the same for PostgresKilnDb), then tools/ef-regen.sh for the compiled models (docs/architecture.md#compiled-models).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$HOME/.dotnet/tools"
rm -rf src/Kiln.Server/Data/Migrations/Sqlite src/Kiln.Server/Kiln  # older runs with --namespace put snapshots under Kiln/
dotnet ef migrations add Initial --project src/Kiln.Server --context SqliteKilnDb --output-dir Data/Migrations/Sqlite
if grep -q PostgresKilnDb src/Kiln.Server/Data/*.cs; then
  rm -rf src/Kiln.Server/Data/Migrations/Postgres
  dotnet ef migrations add Initial --project src/Kiln.Server --context PostgresKilnDb --output-dir Data/Migrations/Postgres
fi
