using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kiln.Server.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Upfix : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ValidationErrors",
                table: "Jobs",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ValidationErrors",
                table: "Jobs");
        }
    }
}
