using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Postgres
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
                    Key = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    Count = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresUnix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaCounters", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "QuotaHolds",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    OrgId = table.Column<long>(type: "bigint", nullable: false),
                    ProjectId = table.Column<long>(type: "bigint", nullable: false),
                    CredentialId = table.Column<long>(type: "bigint", nullable: false),
                    Operation = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Engine = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    Images = table.Column<int>(type: "integer", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    Keys = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaHolds", x => x.JobId);
                });

            migrationBuilder.CreateTable(
                name: "QuotaLimits",
                columns: table => new
                {
                    Scope = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    TargetId = table.Column<long>(type: "bigint", nullable: false),
                    OrgId = table.Column<long>(type: "bigint", nullable: false),
                    PerMinute = table.Column<int>(type: "integer", nullable: true),
                    PerDay = table.Column<int>(type: "integer", nullable: true),
                    PerMonth = table.Column<int>(type: "integer", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedBy = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaLimits", x => new { x.Scope, x.TargetId });
                });

            migrationBuilder.CreateTable(
                name: "UsageDays",
                columns: table => new
                {
                    OrgId = table.Column<long>(type: "bigint", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    ProjectId = table.Column<long>(type: "bigint", nullable: false),
                    CredentialId = table.Column<long>(type: "bigint", nullable: false),
                    Operation = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Engine = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    Requests = table.Column<long>(type: "bigint", nullable: false),
                    Images = table.Column<long>(type: "bigint", nullable: false),
                    QuotaRefusals = table.Column<long>(type: "bigint", nullable: false),
                    UpstreamRateLimited = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UsageDays", x => new { x.OrgId, x.Day, x.ProjectId, x.CredentialId, x.Operation, x.Engine });
                });

            migrationBuilder.CreateTable(
                name: "WebNotices",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    SessionId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Path = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    Payload = table.Column<string>(type: "text", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
