using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Engine",
                table: "Orgs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Engine",
                table: "Jobs",
                type: "TEXT",
                maxLength: 80,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Upstream",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "UpstreamProfiles",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    OrgId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ImsBaseUrl = table.Column<string>(type: "TEXT", nullable: false),
                    FireflyBaseUrl = table.Column<string>(type: "TEXT", nullable: false),
                    ConsoleBaseUrl = table.Column<string>(type: "TEXT", nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", nullable: false),
                    SecretWrapped = table.Column<string>(type: "TEXT", nullable: false),
                    PreviousSecretWrapped = table.Column<string>(type: "TEXT", nullable: true),
                    SecretVersion = table.Column<int>(type: "INTEGER", nullable: false),
                    Scopes = table.Column<string>(type: "TEXT", nullable: false),
                    UpstreamOrgId = table.Column<string>(type: "TEXT", nullable: true),
                    UpstreamCredentialId = table.Column<string>(type: "TEXT", nullable: true),
                    PassThroughHosts = table.Column<string>(type: "TEXT", nullable: false),
                    PassThroughOutputs = table.Column<bool>(type: "INTEGER", nullable: false),
                    RotateEveryDays = table.Column<int>(type: "INTEGER", nullable: true),
                    LastRotatedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastRotationMessage = table.Column<string>(type: "TEXT", nullable: true),
                    RotationLeaseOwner = table.Column<string>(type: "TEXT", nullable: true),
                    RotationLeaseUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
                    ProfileId = table.Column<string>(type: "TEXT", nullable: false),
                    BlobKey = table.Column<string>(type: "TEXT", nullable: false),
                    UpstreamId = table.Column<string>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
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
