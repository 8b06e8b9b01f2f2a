using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class QuotasAndNotices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "QuotaCounters",
                columns: table => new
                {
                    Key = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresUnix = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaCounters", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "QuotaHolds",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    OrgId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProjectId = table.Column<long>(type: "INTEGER", nullable: false),
                    CredentialId = table.Column<long>(type: "INTEGER", nullable: false),
                    Operation = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Engine = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    Images = table.Column<int>(type: "INTEGER", nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Keys = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaHolds", x => x.JobId);
                });

            migrationBuilder.CreateTable(
                name: "QuotaLimits",
                columns: table => new
                {
                    Scope = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    TargetId = table.Column<long>(type: "INTEGER", nullable: false),
                    OrgId = table.Column<long>(type: "INTEGER", nullable: false),
                    PerMinute = table.Column<int>(type: "INTEGER", nullable: true),
                    PerDay = table.Column<int>(type: "INTEGER", nullable: true),
                    PerMonth = table.Column<int>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaLimits", x => new { x.Scope, x.TargetId });
                });

            migrationBuilder.CreateTable(
                name: "UsageDays",
                columns: table => new
                {
                    OrgId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    ProjectId = table.Column<long>(type: "INTEGER", nullable: false),
                    CredentialId = table.Column<long>(type: "INTEGER", nullable: false),
                    Operation = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Engine = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    Requests = table.Column<long>(type: "INTEGER", nullable: false),
                    Images = table.Column<long>(type: "INTEGER", nullable: false),
                    QuotaRefusals = table.Column<long>(type: "INTEGER", nullable: false),
                    UpstreamRateLimited = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UsageDays", x => new { x.OrgId, x.Day, x.ProjectId, x.CredentialId, x.Operation, x.Engine });
                });

            migrationBuilder.CreateTable(
                name: "WebNotices",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SessionId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Path = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebNotices", x => x.Id);
                    table.ForeignKey(
                        name: "FK_WebNotices_WebSessions_SessionId",
                        column: x => x.SessionId,
                        principalTable: "WebSessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_QuotaCounters_ExpiresUnix",
                table: "QuotaCounters",
                column: "ExpiresUnix");

            migrationBuilder.CreateIndex(
                name: "IX_QuotaLimits_OrgId",
                table: "QuotaLimits",
                column: "OrgId");

            migrationBuilder.CreateIndex(
                name: "IX_WebNotices_ExpiresAt",
                table: "WebNotices",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_WebNotices_SessionId_Path",
                table: "WebNotices",
                columns: new[] { "SessionId", "Path" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "QuotaCounters");

            migrationBuilder.DropTable(
                name: "QuotaHolds");

            migrationBuilder.DropTable(
                name: "QuotaLimits");

            migrationBuilder.DropTable(
                name: "UsageDays");

            migrationBuilder.DropTable(
                name: "WebNotices");
        }
    }
}
