using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class JobQuotaHold : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "CredentialId",
                table: "Jobs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<DateOnly>(
                name: "HeldDay",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HeldImages",
                table: "Jobs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "HeldKeys",
                table: "Jobs",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ProjectId",
                table: "Jobs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            // A job that holds images keeps them through the upgrade: its QuotaHolds row moves onto the job, so a job
            // that fails or is canceled afterwards still gives them back (docs/firefly.md#quotas-and-usage).
            migrationBuilder.Sql(
                """
                UPDATE "Jobs" AS j SET "ProjectId" = h."ProjectId", "CredentialId" = h."CredentialId", "HeldKeys" = h."Keys",
                    "HeldImages" = h."Images", "HeldDay" = h."Day"
                FROM "QuotaHolds" AS h WHERE h."JobId" = j."Id";
                """);

            migrationBuilder.DropTable(
                name: "QuotaHolds");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "QuotaHolds",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    CredentialId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Engine = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    Images = table.Column<int>(type: "INTEGER", nullable: false),
                    Keys = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Operation = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    OrgId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProjectId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaHolds", x => x.JobId);
                });

            // A downgrade puts the holds back in their own table.
            migrationBuilder.Sql(
                """
                INSERT INTO "QuotaHolds" ("JobId", "CredentialId", "Day", "Engine", "Images", "Keys", "Operation", "OrgId", "ProjectId")
                SELECT "Id", "CredentialId", "HeldDay", COALESCE("Engine", 'procedural'), "HeldImages", "HeldKeys", "Operation", "OrgId", "ProjectId"
                FROM "Jobs" WHERE "HeldKeys" IS NOT NULL AND "HeldDay" IS NOT NULL;
                """);

            migrationBuilder.DropColumn(
                name: "CredentialId",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "HeldDay",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "HeldImages",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "HeldKeys",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "ProjectId",
                table: "Jobs");
        }
    }
}
