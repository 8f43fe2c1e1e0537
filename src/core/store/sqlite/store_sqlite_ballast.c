/* A ballast file beside the database: space held back for the writes that
 * suspend or end sessions. A user who fills the file system holding the
 * database (often the one of /tmp) must not stop the others from
 * suspending and terminating: the first SQLITE_FULL of such a write
 * releases the ballast and the write is tried once more. Starts never use
 * it; a start made once space is back lays it down again. */
#include "store_sqlite_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Dozens of suspends' worth of WAL frames (a status change writes a few
 * pages), small beside any real file system. */
#define BALLAST_BYTES (256 * 1024)

static int ballast_path(sqlite3 *db, char *buf, size_t len)
{
    const char *f = sqlite3_db_filename(db, "main");
    return f && *f ? x2go_fmt(buf, len, "%s-ballast", f) : -1;
}

void x2go_sq_ballast_lay(sqlite3 *db)
{
    char path[4200];
    if (ballast_path(db, path, sizeof path) < 0 || access(path, F_OK) == 0)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0)
        return;
    /* Space that is really allocated, or no ballast at all. */
    int rc = posix_fallocate(fd, 0, BALLAST_BYTES);
    close(fd);
    if (rc != 0)
        unlink(path);
}

bool x2go_sq_ballast_release(sqlite3 *db)
{
    char path[4200];
    if ((sqlite3_errcode(db) & 0xff) != SQLITE_FULL || ballast_path(db, path, sizeof path) < 0)
        return false;
    return unlink(path) == 0;
}
