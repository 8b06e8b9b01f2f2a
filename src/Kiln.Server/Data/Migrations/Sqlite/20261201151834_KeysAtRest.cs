using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class KeysAtRest : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DataProtectionKeys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FriendlyName = table.Column<string>(type: "TEXT", nullable: true),
                    Xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataProtectionKeys", x => x.Id);
                });

            // The Data Protection keys that Web/DbKeyStore kept in ServerSettings ("dataprotection:<name>") move to the
            // library's table, so cookies issued before the upgrade stay valid; Kiln wraps their secrets on start.
            migrationBuilder.Sql(
                """
                INSERT INTO "DataProtectionKeys" ("FriendlyName", "Xml")
                SELECT substr("Key", 16), "Value" FROM "ServerSettings" WHERE "Key" LIKE 'dataprotection:%' ORDER BY "Key";
                DELETE FROM "ServerSettings" WHERE "Key" LIKE 'dataprotection:%';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                INSERT INTO "ServerSettings" ("Key", "Value")
                SELECT 'dataprotection:' || "FriendlyName", "Xml" FROM "DataProtectionKeys" WHERE "FriendlyName" IS NOT NULL AND "Xml" IS NOT NULL;
                """);
            migrationBuilder.DropTable(
                name: "DataProtectionKeys");
        }
    }
}
