/* C-side test of the haproxy-rs C API: version, result messages, configuration checks,
 * NULL handling and error-buffer truncation. Built and run by tests/ffi.rs (also under
 * valgrind when it is installed). Exit status 0 = all checks passed. */
#include <stdio.h>
#include <string.h>

#include "haproxy_rs.h"

static int failures;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                         \
        }                                                                       \
    } while (0)

static const char valid_cfg[] =
    "global\n"
    "    maxconn 100\n"
    "\n"
    "defaults\n"
    "    mode http\n"
    "    timeout connect 5s\n"
    "    timeout client 30s\n"
    "    timeout server 30s\n"
    "\n"
    "listen web\n"
    "    bind 127.0.0.1:8080\n"
    "    option httplog\n";

/* Line 3 holds a keyword HAProxy does not know. */
static const char bad_cfg[] =
    "global\n"
    "    maxconn 100\n"
    "    no-such-keyword 1\n";

int main(void)
{
    char err[4096];
    char small[8];
    char msg[128];
    hap_result r;

    const char *v = hap_version();
    CHECK(v != NULL && v[0] != '\0');
    CHECK(strstr(v, "haproxy-rs") != NULL);

    CHECK(hap_result_message(HAP_ERR_NULL, msg, sizeof(msg)) > 0);
    CHECK(msg[0] != '\0');
    CHECK(hap_result_message(HAP_OK, NULL, 0) == 0);

    /* NULL handling: never a crash, always HAP_ERR_NULL. */
    CHECK(hap_config_check(NULL, 10, err, sizeof(err)) == HAP_ERR_NULL);
    CHECK(hap_config_check(valid_cfg, strlen(valid_cfg), NULL, sizeof(err)) == HAP_ERR_NULL);

    /* A valid configuration; err may be NULL when errlen is 0. */
    err[0] = 'x';
    r = hap_config_check(valid_cfg, strlen(valid_cfg), err, sizeof(err));
    if (r != HAP_OK)
        fprintf(stderr, "valid config rejected:\n%s", err);
    CHECK(r == HAP_OK);
    CHECK(strlen(err) < sizeof(err));
    CHECK(hap_config_check(valid_cfg, strlen(valid_cfg), NULL, 0) == HAP_OK);

    /* A rejected configuration: the binary's alert text, naming the line. */
    r = hap_config_check(bad_cfg, strlen(bad_cfg), err, sizeof(err));
    CHECK(r == HAP_ERR_INVALID);
    CHECK(strstr(err, "[ALERT]") != NULL);
    CHECK(strstr(err, "parsing [") != NULL);
    CHECK(strstr(err, ":3]") != NULL);
    if (failures)
        fprintf(stderr, "messages for the bad config:\n%s", err);

    /* Truncation keeps the buffer NUL-terminated. */
    memset(small, 'z', sizeof(small));
    CHECK(hap_config_check(bad_cfg, strlen(bad_cfg), small, sizeof(small)) == HAP_ERR_INVALID);
    CHECK(small[sizeof(small) - 1] == '\0' && strlen(small) == sizeof(small) - 1);

    /* Text without a terminating NUL: only len bytes are read. */
    CHECK(hap_config_check("global\nXXXX", 7, err, sizeof(err)) == HAP_OK);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("check_config: all checks passed\n");
    return 0;
}
