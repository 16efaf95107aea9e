/* DuckDB's side of the end-to-end race, run the way its own CLI runs a statement: the bundled libduckdb through
 * its C API, no managed host. Usage: duckdb-copy INPUT OUTPUT READER (read_csv or read_json_auto). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few declarations needed from duckdb.h (DuckDB's documented C API); the result is opaque here. */
typedef struct { void *internal_ptr; } *duckdb_database;
typedef struct { void *internal_ptr; } *duckdb_connection;
typedef struct { unsigned char opaque[256]; } duckdb_result; /* 48 bytes in DuckDB 1.x; room to spare */
int duckdb_open(const char *path, duckdb_database *out);
int duckdb_connect(duckdb_database db, duckdb_connection *out);
int duckdb_query(duckdb_connection con, const char *sql, duckdb_result *out);
const char *duckdb_result_error(duckdb_result *result);
void duckdb_destroy_result(duckdb_result *result);
void duckdb_disconnect(duckdb_connection *con);
void duckdb_close(duckdb_database *db);

static int run(duckdb_connection con, const char *sql)
{
    duckdb_result result;
    memset(&result, 0, sizeof result);
    int failed = duckdb_query(con, sql, &result);
    if (failed) fprintf(stderr, "duckdb: %s\n", duckdb_result_error(&result));
    duckdb_destroy_result(&result);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: duckdb-copy INPUT OUTPUT READER\n"); return 2; }
    duckdb_database db;
    duckdb_connection con;
    if (duckdb_open(NULL, &db) || duckdb_connect(db, &con)) { fprintf(stderr, "duckdb: cannot open\n"); return 1; }
    size_t size = strlen(argv[1]) + strlen(argv[2]) + strlen(argv[3]) + 128;
    char *sql = malloc(size);
    snprintf(sql, size, "COPY (SELECT * FROM %s('%s')) TO '%s' (FORMAT parquet, COMPRESSION zstd)", argv[3], argv[1], argv[2]);
    int failed = run(con, "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;") || run(con, sql);
    free(sql);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return failed;
}
