using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditProjectId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ProjectId",
                table: "AuditRecords",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_OrgId_ProjectId_At",
                table: "AuditRecords",
                columns: new[] { "OrgId", "ProjectId", "At" });

            // Existing records get the project of the credential or project they are about while it still exists (targets
            // credential:<id>[/...], project:<id>[/...], engine.set's "project <id>", token.failed's client id), so the project
            // audit view shows after the upgrade what it showed before; records about credentials already deleted stay
            // without one (docs/console-ui.md#audit-log).
            migrationBuilder.Sql(
                """
                UPDATE "AuditRecords" AS a SET "ProjectId" = c."ProjectId" FROM "Credentials" AS c
                WHERE a."ProjectId" IS NULL AND a."OrgId" = c."OrgId" AND a."Target" LIKE 'credential:%'
                  AND c."Id" = CAST(substr(a."Target", 12) AS INTEGER)
                  AND (a."Target" = 'credential:' || c."Id" OR a."Target" LIKE 'credential:' || c."Id" || '/%');
                UPDATE "AuditRecords" AS a SET "ProjectId" = p."Id" FROM "Projects" AS p
                WHERE a."ProjectId" IS NULL AND a."OrgId" = p."OrgId" AND (a."Target" LIKE 'project:%' OR a."Target" LIKE 'project %')
                  AND p."Id" = CAST(substr(a."Target", 9) AS INTEGER)
                  AND (a."Target" IN ('project:' || p."Id", 'project ' || p."Id") OR a."Target" LIKE 'project:' || p."Id" || '/%');
                UPDATE "AuditRecords" AS a SET "ProjectId" = c."ProjectId" FROM "Credentials" AS c
                WHERE a."ProjectId" IS NULL AND a."Action" = 'token.failed' AND a."OrgId" = c."OrgId" AND a."Target" = c."ClientId";
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_AuditRecords_OrgId_ProjectId_At",
                table: "AuditRecords");

            migrationBuilder.DropColumn(
                name: "ProjectId",
                table: "AuditRecords");
        }
    }
}
