#include "conf.h"
#include "util.h"
#include "x2go-config.h"

#include <string.h>
#include <strings.h>
#include <syslog.h>

static const char *server_path = X2GO_SERVER_CONF, *sql_path = X2GO_SQL_CONF;
static struct x2go_ini *server_ini, *sql_ini;
static bool server_tried, sql_tried;

void x2go_conf_override(const char *server_conf, const char *sql_conf)
{
    x2go_ini_free(server_ini);
    x2go_ini_free(sql_ini);
    server_ini = sql_ini = NULL;
    server_tried = sql_tried = false;
    server_path = server_conf;
    sql_path = sql_conf;
}

static const struct x2go_ini *cached(struct x2go_ini **ini, bool *tried,
                                     const char *path)
{
    if (!*tried) {
        *tried = true;
        *ini = x2go_ini_load(path);
    }
    if (!*ini)
        x2go_seterr("cannot read %s", path);
    return *ini;
}

const struct x2go_ini *x2go_server_conf(void)
{
    return cached(&server_ini, &server_tried, server_path);
}

const struct x2go_ini *x2go_sql_conf(void)
{
    return cached(&sql_ini, &sql_tried, sql_path);
}

static int lookup(const struct x2go_ini *ini, const char *section,
                  const char *key, const char *def, const char **out, int *line)
{
    if (!ini)
        return -1;
    int r = x2go_ini_lookup(ini, section, key, out, line);
    if (r < 0)
        return -1;
    if (r == 0)
        *out = def;
    return 0;
}

int x2go_conf_str(const char *section, const char *key, const char *def,
                  const char **out)
{
    return lookup(x2go_server_conf(), section, key, def, out, NULL);
}

int x2go_conf_bool(const char *section, const char *key, bool def, bool *out)
{
    const char *v;
    int line = 0;
    if (lookup(x2go_server_conf(), section, key, NULL, &v, &line) < 0)
        return -1;
    if (!v) {
        *out = def;
        return 0;
    }
    int b = x2go_parse_bool(v);
    if (b < 0) {
        x2go_seterr("%s line %d: [%s] %s = '%s' is not a boolean (use yes or no)",
                    server_path, line, section, key, v);
        return -1;
    }
    *out = b;
    return 0;
}

int x2go_conf_loglevel(void)
{
    static const struct { const char *name; int prio; } levels[] = {
        {"emerg", LOG_EMERG},   {"alert", LOG_ALERT},   {"crit", LOG_CRIT},
        {"err", LOG_ERR},       {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
        {"info", LOG_INFO},     {"debug", LOG_DEBUG},
    };
    const char *v;
    if (x2go_conf_str("log", "loglevel", "notice", &v) < 0)
        return LOG_NOTICE;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(levels); i++)
        if (!strcasecmp(v, levels[i].name))
            return levels[i].prio;
    return LOG_NOTICE;
}

int x2go_conf_backend(enum x2go_backend *out)
{
    const char *v;
    int line = 0;
    if (lookup(x2go_sql_conf(), "", "backend", "sqlite", &v, &line) < 0)
        return -1;
    if (!strcmp(v, "sqlite")) {
        *out = X2GO_BACKEND_SQLITE;
        return 0;
    }
    if (!strcmp(v, "postgres")) {
        *out = X2GO_BACKEND_POSTGRES;
        return 0;
    }
    x2go_seterr("%s line %d: backend = '%s' is not supported (use sqlite or postgres)",
                sql_path, line, v);
    return -1;
}
