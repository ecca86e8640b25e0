/* C-side test of the embedding API (c-api.md "Embedding API"): a C program loads a
 * configuration (a directory of two files), starts the proxy, sends it real HTTP requests
 * that a tiny HTTP server of its own (a pthread on 127.0.0.1) answers, reads and changes
 * the live backend (queueing with maxconn 1 seen through hap_backend_totpend; a maxconn
 * raised from C dequeues at once), stops it gracefully while a request is in flight (the
 * request completes, new connections are refused), a client resetting mid-request, a
 * hard stop cutting a graceful one short, a bind conflict (then a retried start), free
 * while running, the CLI's "not active yet" answer and bad input.
 * Built and run by tests/ffi.rs (also under valgrind). Exit status 0 = all checks passed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "haproxy_rs.h"

static int failures;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                         \
        }                                                                       \
    } while (0)

/* Generous: valgrind runs everything ~50x slower. */
#define WAIT_MS 30000

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---------- a listening socket on 127.0.0.1, port chosen by the kernel (or given) ---------- */

static int listen_on(int port, int *out_port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0) {
        perror("listen_on");
        exit(2);
    }
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *out_port = ntohs(sa.sin_port);
    return fd;
}

/* ---------- the backend server: sequential, "/slow*" waits for the main thread ---------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int slow_started;  /* slow requests received  */
static int slow_released; /* slow requests allowed to answer */
static int hits;          /* requests answered */
static atomic_int srv_stop;
static int srv_fd;

static void *server_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&srv_stop)) {
        struct pollfd p = { srv_fd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(srv_fd, NULL, NULL);
        if (c < 0)
            continue;
        char req[4096];
        size_t n = 0;
        while (n < sizeof(req) - 1) {
            ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            req[n] = 0;
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[n] = 0;
        char path[256] = "?";
        sscanf(req, "GET %255s", path);
        if (strncmp(path, "/slow", 5) == 0) {
            pthread_mutex_lock(&mu);
            int me = ++slow_started;
            pthread_cond_broadcast(&cv);
            while (slow_released < me && !atomic_load(&srv_stop))
                pthread_cond_wait(&cv, &mu);
            pthread_mutex_unlock(&mu);
        }
        char body[300], resp[600];
        int bl = snprintf(body, sizeof(body), "srv:%s", path);
        int rl = snprintf(resp, sizeof(resp),
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                          "Connection: close\r\n\r\n%s", bl, body);
        /* Counted before the answer leaves: once the client has its response the count
         * must already include it (counting after send() raced with the client's check). */
        pthread_mutex_lock(&mu);
        hits++;
        pthread_mutex_unlock(&mu);
        /* The proxy may have given up on this request: no SIGPIPE for us. */
        (void)send(c, resp, (size_t)rl, MSG_NOSIGNAL);
        close(c);
    }
    return NULL;
}

/* Waits until the server received `n` slow requests. */
static int wait_slow_started(int n)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&mu);
    int ok = 1;
    while (slow_started < n && ok)
        ok = pthread_cond_timedwait(&cv, &mu, &dl) == 0;
    ok = slow_started >= n;
    pthread_mutex_unlock(&mu);
    return ok;
}

static void release_slow(void)
{
    pthread_mutex_lock(&mu);
    slow_released++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int get_hits(void)
{
    pthread_mutex_lock(&mu);
    int h = hits;
    pthread_mutex_unlock(&mu);
    return h;
}

/* ---------- clients ---------- */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = { WAIT_MS / 1000, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static int send_get(int port, const char *path)
{
    int fd = connect_to(port);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: embed\r\nConnection: close\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the whole response (the proxy closes after it), closes fd. */
static void read_all(int fd, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    if (fd < 0)
        return;
    while (n < len - 1) {
        ssize_t r = read(fd, buf + n, len - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    close(fd);
}

/* 200 from our server for `path`, through the proxy. */
static int answered(const char *resp, const char *path)
{
    char want[300];
    snprintf(want, sizeof(want), "\r\n\r\nsrv:%s", path);
    const char *body = strstr(resp, "\r\n\r\n");
    return strncmp(resp, "HTTP/1.1 200", 12) == 0 && body && strcmp(body, want) == 0;
}

static void http_get_ok(int port, const char *path)
{
    char resp[4096];
    read_all(send_get(port, path), resp, sizeof(resp));
    if (!answered(resp, path)) {
        fprintf(stderr, "GET %s through the proxy gave:\n%s\n", path, resp);
        failures++;
    }
}

/* Polls `expr` until true or WAIT_MS passed. */
#define WAIT_UNTIL(expr)                                                        \
    do {                                                                        \
        uint64_t dl_ = mono_ms() + WAIT_MS;                                     \
        while (!(expr) && mono_ms() < dl_)                                      \
            sleep_ms(5);                                                        \
        CHECK(expr);                                                            \
    } while (0)

/* ---------- files ---------- */

static char tmpdir[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static hap_instance *new_instance(const char *path)
{
    hap_instance *h = NULL;
    char err[4096];
    const char *paths[1] = { path };
    hap_result r = hap_instance_new(paths, 1, &h, err, sizeof(err));
    if (r != HAP_OK) {
        fprintf(stderr, "hap_instance_new(%s) = %d:\n%s", path, (int)r, err);
        failures++;
    }
    return h;
}

static const char *const cli_help_lines =
    "  help [<command>]                        : list matching or all commands\n"
    "  prompt                                  : toggle interactive mode with prompt\n"
    "  quit                                    : disconnect\n";

/* ---------- the scenarios ---------- */

static void bad_input(void)
{
    hap_instance *h = (hap_instance *)1;
    char err[1024];
    const char *paths[2] = { "/nonexistent/x.cfg", NULL };

    CHECK(hap_instance_new(NULL, 1, &h, err, sizeof(err)) == HAP_ERR_NULL);
    CHECK(hap_instance_new(paths, 1, NULL, err, sizeof(err)) == HAP_ERR_NULL);
    CHECK(hap_instance_new(paths, 1, &h, NULL, 10) == HAP_ERR_NULL);
    CHECK(hap_instance_new(paths + 1, 1, &h, err, sizeof(err)) == HAP_ERR_NULL);
    CHECK(hap_instance_new(paths, 0, &h, err, sizeof(err)) == HAP_ERR_INVALID);
    CHECK(h == NULL);
    CHECK(hap_instance_new(paths, 1, &h, err, sizeof(err)) == HAP_ERR_INVALID);
    CHECK(h == NULL);
    CHECK(strstr(err, "Cannot open configuration file/directory /nonexistent/x.cfg") != NULL);

    CHECK(hap_instance_start(NULL) == HAP_ERR_NULL);
    CHECK(hap_instance_stop(NULL, true) == HAP_ERR_NULL);
    CHECK(hap_instance_backend(NULL, "app") == NULL);
    CHECK(hap_instance_cli(NULL, "help", err, sizeof(err), NULL) == HAP_ERR_NULL);
    CHECK(hap_instance_message(NULL, err, sizeof(err), NULL) == HAP_ERR_NULL);
    CHECK(hap_instance_addr(NULL, 0, err, sizeof(err), NULL) == HAP_ERR_NULL);
    CHECK(hap_instance_local_port(NULL, 0) == 0);
    CHECK(hap_instance_listener_count(NULL) == 0);
    CHECK(hap_instance_now_ms(NULL) == 0);
    hap_instance_free(NULL);

    /* An error on line 3 of a file: HAProxy's alert names file:line. */
    char path[300], want[400];
    snprintf(path, sizeof(path), "%s/bad.cfg", tmpdir);
    write_file(path, "global\n    maxconn 100\n    bogus 1\n");
    const char *bad[1] = { path };
    h = (hap_instance *)1;
    CHECK(hap_instance_new(bad, 1, &h, err, sizeof(err)) == HAP_ERR_INVALID);
    CHECK(h == NULL);
    snprintf(want, sizeof(want), "parsing [%s:3] : unknown keyword 'bogus' in 'global' section", path);
    CHECK(strstr(err, want) != NULL);
    CHECK(strncmp(err, "[ALERT]", 7) == 0);
    CHECK(strstr(err, "Fatal errors found in configuration.") != NULL);
    unlink(path);
}

/* hap_instance_stop(h, true) from another thread: it blocks until the in-flight request
 * is done. */
struct stop_arg {
    hap_instance *h;
    hap_result res;
    atomic_int done;
};

static void *graceful_stop(void *p)
{
    struct stop_arg *a = p;
    a->res = hap_instance_stop(a->h, true);
    atomic_store(&a->done, 1);
    return NULL;
}

/* Instance 1: loaded from a directory, served, queued, stopped gracefully. */
static void main_instance(int srv_port)
{
    int fport;
    int lfd = listen_on(0, &fport); /* handed over with bind fd@N */
    char dir[300], f1[400], f2[400], text[1024];
    snprintf(dir, sizeof(dir), "%s/conf.d", tmpdir);
    mkdir(dir, 0700);
    snprintf(f1, sizeof(f1), "%s/10-global.cfg", dir);
    snprintf(f2, sizeof(f2), "%s/20-proxies.cfg", dir);
    write_file(f1, "global\n    nbthread 2\n"
                   "defaults\n    mode http\n    timeout client 30s\n    timeout server 30s\n"
                   "    timeout connect 10s\n    timeout queue 30s\n");
    snprintf(text, sizeof(text),
             "frontend fe\n    bind fd@%d\n    default_backend app\n"
             "backend app\n    server s1 127.0.0.1:%d maxconn 1\n", lfd, srv_port);
    write_file(f2, text);

    hap_instance *h = new_instance(dir);
    if (!h)
        exit(1);

    /* Not started yet. */
    char out[4096], want[1024];
    size_t n = 0;
    CHECK(hap_instance_stop(h, true) == HAP_ERR_STATE);
    CHECK(hap_instance_backend(h, "app") == NULL);
    CHECK(hap_instance_listener_count(h) == 0);
    CHECK(hap_instance_addr(h, 0, out, sizeof(out), &n) == HAP_ERR_STATE);

    /* The CLI is not active yet: HAProxy's reply to a command it does not know. */
    CHECK(hap_instance_cli(h, "show info", out, sizeof(out), &n) == HAP_ERR_UNSUPPORTED);
    snprintf(want, sizeof(want),
             "Unknown command, but maybe one of the following ones is a better match:\n%s\n",
             cli_help_lines);
    CHECK(strcmp(out, want) == 0);
    CHECK(n == strlen(want));
    CHECK(hap_instance_cli(h, "help", out, sizeof(out), &n) == HAP_OK);
    snprintf(want, sizeof(want), "The following commands are valid at this level:\n%s\n",
             cli_help_lines);
    CHECK(strcmp(out, want) == 0);
    CHECK(hap_instance_cli(h, "show stat", out, 8, &n) == HAP_ERR_UNSUPPORTED);
    CHECK(strcmp(out, "Unknown") == 0 && n > 8);
    CHECK(hap_instance_cli(h, "show stat", NULL, 0, &n) == HAP_ERR_UNSUPPORTED);
    CHECK(hap_instance_cli(h, NULL, out, sizeof(out), &n) == HAP_ERR_NULL);
    CHECK(hap_instance_cli(h, "help", NULL, 5, &n) == HAP_ERR_NULL);

    /* Start: listening when it returns. Twice is a state error. */
    CHECK(hap_instance_start(h) == HAP_OK);
    CHECK(hap_instance_start(h) == HAP_ERR_STATE);
    CHECK(hap_instance_listener_count(h) == 1);
    CHECK(hap_instance_local_port(h, 0) == fport);
    CHECK(hap_instance_local_port(h, 1) == 0);
    snprintf(want, sizeof(want), "127.0.0.1:%d", fport);
    CHECK(hap_instance_addr(h, 0, out, sizeof(out), &n) == HAP_OK);
    CHECK(strcmp(out, want) == 0 && n == strlen(want));
    CHECK(hap_instance_addr(h, 1, out, sizeof(out), &n) == HAP_ERR_INVALID);
    uint64_t t0 = hap_instance_now_ms(h);

    /* The live backend: one handle, the workers' queues. */
    hap_backend *be = hap_instance_backend(h, "app");
    CHECK(be != NULL);
    CHECK(hap_instance_backend(h, "app") == be);
    CHECK(hap_instance_backend(h, "nope") == NULL);
    CHECK(hap_instance_backend(h, "fe") == NULL);
    hap_server *sv = hap_backend_server(be, "s1");
    CHECK(sv != NULL);
    CHECK(hap_backend_server_count(be) == 1);
    CHECK(hap_server_maxconn(sv) == 1);
    hap_server_state st;
    CHECK(hap_server_get_state(sv, &st) == HAP_OK && st == HAP_SERVER_UP);
    /* Streams and wake-ups belong to the workers; free of a borrowed handle is a no-op. */
    hap_stream *s = NULL;
    CHECK(hap_stream_new(be, &s) == HAP_ERR_STATE);
    CHECK(s == NULL);
    hap_backend_set_wakeup(be, NULL, NULL); /* ignored: queued requests still get woken */
    hap_backend_free(be);
    CHECK(hap_backend_server(be, "s1") == sv);

    /* Plain requests through the proxy to our server. */
    for (int i = 0; i < 3; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/hello/%d", i);
        http_get_ok(fport, path);
    }
    CHECK(get_hits() == 3);
    WAIT_UNTIL(hap_backend_served(be) == 0);
    CHECK(hap_backend_totpend(be) == 0);

    /* maxconn 1 and two concurrent requests: the second one waits in a queue. */
    char ra[4096], rb[4096];
    int a = send_get(fport, "/slow/a");
    CHECK(wait_slow_started(1));
    CHECK(hap_server_served(sv) == 1);
    CHECK(hap_backend_served(be) == 1);
    int b = send_get(fport, "/b");
    WAIT_UNTIL(hap_backend_totpend(be) == 1);
    CHECK(hap_backend_queued(be) + hap_server_queued(sv) == 1);
    CHECK(hap_server_served(sv) == 1);
    release_slow(); /* a answers; its slot goes to b */
    read_all(a, ra, sizeof(ra));
    read_all(b, rb, sizeof(rb));
    CHECK(answered(ra, "/slow/a"));
    CHECK(answered(rb, "/b"));
    WAIT_UNTIL(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);

    /* Again, and this time C raises maxconn: the queued request gets a slot at once. */
    a = send_get(fport, "/slow/c");
    CHECK(wait_slow_started(2));
    b = send_get(fport, "/d");
    WAIT_UNTIL(hap_backend_totpend(be) == 1);
    CHECK(hap_server_set_maxconn(sv, 2) == HAP_OK);
    WAIT_UNTIL(hap_backend_totpend(be) == 0);
    CHECK(hap_server_served(sv) == 2);
    release_slow();
    read_all(a, ra, sizeof(ra));
    read_all(b, rb, sizeof(rb));
    CHECK(answered(ra, "/slow/c"));
    CHECK(answered(rb, "/d"));
    WAIT_UNTIL(hap_backend_served(be) == 0);
    CHECK(hap_server_set_maxconn(sv, 1) == HAP_OK);
    CHECK(get_hits() == 7);
    CHECK(hap_instance_now_ms(h) >= t0);

    /* A client that resets its connection while its request is in flight: the proxy
     * neither dies (no SIGPIPE in the embedding process) nor keeps the slot. */
    a = send_get(fport, "/slow/gone");
    CHECK(wait_slow_started(3));
    struct linger lg = { 1, 0 };
    setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(a);
    release_slow();
    WAIT_UNTIL(get_hits() == 8);
    WAIT_UNTIL(hap_backend_served(be) == 0);
    http_get_ok(fport, "/after-reset");

    /* Graceful stop with a request in flight: listeners close, the request completes, then
     * the stop returns. */
    int c = send_get(fport, "/slow/e");
    CHECK(wait_slow_started(4));
    struct stop_arg sa = { h, HAP_ERR_PANIC, 0 };
    pthread_t stopper;
    pthread_create(&stopper, NULL, graceful_stop, &sa);
    /* New connections are refused once every worker closed its listener. */
    int refused = 0;
    uint64_t dl = mono_ms() + WAIT_MS;
    while (!refused && mono_ms() < dl) {
        int fd = connect_to(fport);
        if (fd < 0 && errno == ECONNREFUSED)
            refused = 1;
        else {
            if (fd >= 0)
                close(fd);
            sleep_ms(10);
        }
    }
    CHECK(refused);
    sleep_ms(50);
    CHECK(atomic_load(&sa.done) == 0); /* still waiting for the request in flight */
    CHECK(hap_backend_served(be) == 1);
    release_slow();
    read_all(c, ra, sizeof(ra));
    CHECK(answered(ra, "/slow/e"));
    pthread_join(stopper, NULL);
    CHECK(atomic_load(&sa.done) == 1);
    CHECK(sa.res == HAP_OK);

    /* Stopped: no second stop nor start; the live handle still reads. */
    CHECK(hap_instance_stop(h, false) == HAP_ERR_STATE);
    CHECK(hap_instance_start(h) == HAP_ERR_STATE);
    CHECK(hap_instance_backend(h, "app") == be);
    CHECK(hap_backend_served(be) == 0);
    CHECK(hap_backend_totpend(be) == 0);
    CHECK(hap_instance_local_port(h, 0) == fport);
    CHECK(get_hits() == 10);
    CHECK(hap_instance_message(h, out, sizeof(out), &n) == HAP_OK);
    hap_instance_free(h);
    unlink(f1);
    unlink(f2);
    rmdir(dir);
}

/* Instance 2: the port is taken: HAProxy's bind alert, HAP_ERR_IO, still startable. */
static void bind_conflict(int srv_port)
{
    int busy_port;
    int busy = listen_on(0, &busy_port);
    char path[300], text[1024], out[4096], want[512];
    size_t n = 0;
    snprintf(path, sizeof(path), "%s/busy.cfg", tmpdir);
    snprintf(text, sizeof(text),
             "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n"
             "    timeout connect 5s\n"
             "frontend busy\n    bind 127.0.0.1:%d\n    default_backend app\n"
             "backend app\n    server s1 127.0.0.1:%d\n", busy_port, srv_port);
    write_file(path, text);
    hap_instance *h = new_instance(path);
    if (!h)
        return;
    CHECK(hap_instance_start(h) == HAP_ERR_IO);
    CHECK(hap_instance_message(h, out, sizeof(out), &n) == HAP_OK);
    snprintf(want, sizeof(want),
             "Binding [%s:7] for frontend busy: cannot bind socket (Address already in use) for [127.0.0.1:%d]",
             path, busy_port);
    CHECK(strstr(out, want) != NULL);
    CHECK(strncmp(out, "[ALERT]", 7) == 0);
    CHECK(strstr(out, "[haproxy.main()] Some protocols failed to start their listeners! Exiting.") != NULL);
    CHECK(n == strlen(out));
    CHECK(hap_instance_backend(h, "app") == NULL);
    CHECK(hap_instance_stop(h, true) == HAP_ERR_STATE);
    /* The port is free now: the same instance starts. */
    close(busy);
    CHECK(hap_instance_start(h) == HAP_OK);
    CHECK(hap_instance_local_port(h, 0) == busy_port);

    /* A hard stop cuts a graceful one short: both calls return once the workers ended,
     * and the request in flight is closed without its response. */
    int c = send_get(busy_port, "/slow/cut");
    CHECK(wait_slow_started(5));
    struct stop_arg sa = { h, HAP_ERR_PANIC, 0 };
    pthread_t stopper;
    pthread_create(&stopper, NULL, graceful_stop, &sa);
    int refused = 0;
    uint64_t dl = mono_ms() + WAIT_MS;
    while (!refused && mono_ms() < dl) {
        int fd = connect_to(busy_port);
        refused = fd < 0;
        if (fd >= 0) {
            close(fd);
            sleep_ms(10);
        }
    }
    CHECK(refused);
    CHECK(atomic_load(&sa.done) == 0);
    CHECK(hap_instance_stop(h, false) == HAP_OK);
    pthread_join(stopper, NULL);
    CHECK(sa.res == HAP_OK);
    read_all(c, out, sizeof(out));
    CHECK(strstr(out, "srv:/slow/cut") == NULL);
    release_slow();
    CHECK(hap_instance_stop(h, true) == HAP_ERR_STATE);
    hap_instance_free(h);
    unlink(path);
}

/* Instance 3: freed while running (stops it). */
static void free_running(int srv_port)
{
    int port;
    int lfd = listen_on(0, &port);
    char path[300], text[1024];
    snprintf(path, sizeof(path), "%s/free.cfg", tmpdir);
    snprintf(text, sizeof(text),
             "global\n    nbthread 1\n"
             "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n"
             "    timeout connect 5s\n"
             "listen l\n    bind fd@%d\n    server s1 127.0.0.1:%d\n", lfd, srv_port);
    write_file(path, text);
    hap_instance *h = new_instance(path);
    if (!h)
        return;
    CHECK(hap_instance_start(h) == HAP_OK);
    http_get_ok(port, "/free");
    hap_backend *be = hap_instance_backend(h, "l");
    CHECK(be != NULL && hap_backend_server(be, "s1") != NULL);
    hap_instance_free(h);
    int fd = connect_to(port);
    CHECK(fd < 0);
    if (fd >= 0)
        close(fd);
    unlink(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hap-rs-embed-%d", (int)getpid());
    mkdir(tmpdir, 0700);

    bad_input();

    int srv_port;
    srv_fd = listen_on(0, &srv_port);
    pthread_t srv;
    pthread_create(&srv, NULL, server_main, NULL);

    main_instance(srv_port);
    bind_conflict(srv_port);
    free_running(srv_port);

    atomic_store(&srv_stop, 1);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(srv, NULL);
    close(srv_fd);
    rmdir(tmpdir);

    if (failures) {
        fprintf(stderr, "embed: %d check(s) failed\n", failures);
        return 1;
    }
    printf("embed: all checks passed\n");
    return 0;
}
