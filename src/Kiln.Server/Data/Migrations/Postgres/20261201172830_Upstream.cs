using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Upstream : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Engine",
                table: "Projects",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Engine",
                table: "Orgs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Engine",
                table: "Jobs",
                type: "character varying(80)",
                maxLength: 80,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Upstream",
                table: "Jobs",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "UpstreamProfiles",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    OrgId = table.Column<long>(type: "bigint", nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ImsBaseUrl = table.Column<string>(type: "text", nullable: false),
                    FireflyBaseUrl = table.Column<string>(type: "text", nullable: false),
                    ConsoleBaseUrl = table.Column<string>(type: "text", nullable: false),
                    ClientId = table.Column<string>(type: "text", nullable: false),
                    SecretWrapped = table.Column<string>(type: "text", nullable: false),
                    PreviousSecretWrapped = table.Column<string>(type: "text", nullable: true),
                    SecretVersion = table.Column<int>(type: "integer", nullable: false),
                    Scopes = table.Column<string>(type: "text", nullable: false),
                    UpstreamOrgId = table.Column<string>(type: "text", nullable: true),
                    UpstreamCredentialId = table.Column<string>(type: "text", nullable: true),
                    PassThroughHosts = table.Column<string>(type: "text", nullable: false),
                    PassThroughOutputs = table.Column<bool>(type: "boolean", nullable: false),
                    RotateEveryDays = table.Column<int>(type: "integer", nullable: true),
                    LastRotatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastRotationMessage = table.Column<string>(type: "text", nullable: true),
                    RotationLeaseOwner = table.Column<string>(type: "text", nullable: true),
                    RotationLeaseUntil = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UpstreamProfiles", x => x.Id);
                    table.ForeignKey(
                        name: "FK_UpstreamProfiles_Orgs_OrgId",
                        column: x => x.OrgId,
                        principalTable: "Orgs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UpstreamUploads",
                columns: table => new
                {
                    ProfileId = table.Column<string>(type: "character varying(32)", nullable: false),
                    BlobKey = table.Column<string>(type: "text", nullable: false),
                    UpstreamId = table.Column<string>(type: "text", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UpstreamUploads", x => new { x.ProfileId, x.BlobKey });
                    table.ForeignKey(
                        name: "FK_UpstreamUploads_UpstreamProfiles_ProfileId",
                        column: x => x.ProfileId,
                        principalTable: "UpstreamProfiles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_UpstreamProfiles_OrgId_Name",
                table: "UpstreamProfiles",
                columns: new[] { "OrgId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_UpstreamUploads_ExpiresAt",
                table: "UpstreamUploads",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "UpstreamUploads");

            migrationBuilder.DropTable(
                name: "UpstreamProfiles");

            migrationBuilder.DropColumn(
                name: "Engine",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "Engine",
                table: "Orgs");

            migrationBuilder.DropColumn(
                name: "Engine",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "Upstream",
                table: "Jobs");
        }
    }
}
