using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Postgres
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
                type: "bigint",
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
                WHERE a."ProjectId" IS NULL AND a."OrgId" = c."OrgId"
                  AND c."Id" = CAST(substring(a."Target" from '^credential:([0-9]{1,18})(?:/|$)') AS bigint);
                UPDATE "AuditRecords" AS a SET "ProjectId" = p."Id" FROM "Projects" AS p
                WHERE a."ProjectId" IS NULL AND a."OrgId" = p."OrgId"
                  AND p."Id" = CAST(COALESCE(substring(a."Target" from '^project:([0-9]{1,18})(?:/|$)'),
                                            substring(a."Target" from '^project ([0-9]{1,18})$')) AS bigint);
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
