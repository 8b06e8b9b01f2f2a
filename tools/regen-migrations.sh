#!/usr/bin/env bash
# Regenerates the initial migrations from the model. Only for use before a schema has shipped;
# after that, add a new migration per change instead:
#   dotnet ef migrations add NAME --project src/Kiln.Server --context SqliteKilnDb --output-dir Data/Migrations/Sqlite
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$HOME/.dotnet/tools"
# EF writes the model snapshot under Kiln/Server/... (namespace-derived); remove it too or the new Initial is only a diff.
rm -rf src/Kiln.Server/Data/Migrations/Sqlite src/Kiln.Server/Kiln/Server/Data/Migrations/Sqlite
dotnet ef migrations add Initial --project src/Kiln.Server --context SqliteKilnDb --output-dir Data/Migrations/Sqlite --namespace Kiln.Server.Data.Migrations.Sqlite
if grep -q PostgresKilnDb src/Kiln.Server/Data/*.cs; then
  rm -rf src/Kiln.Server/Data/Migrations/Postgres
  dotnet ef migrations add Initial --project src/Kiln.Server --context PostgresKilnDb --output-dir Data/Migrations/Postgres --namespace Kiln.Server.Data.Migrations.Postgres
fi
