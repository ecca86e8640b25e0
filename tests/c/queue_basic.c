/* C-side deterministic test of the queue API (c-api.md "Queue API"), with the caller's
 * now_ms: the scenarios D1, D2, D3, D6, D7, D8, D12, D13 of queue-tests.md, the caller's hash key,
 * plus bad input.
 * Built and run by tests/ffi.rs (also under valgrind). Exit status 0 = all checks passed. */
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

/* Wake-ups seen, in order. */
static hap_stream *woken[64];
static int nwoken;

static void on_wakeup(void *user, hap_stream *s)
{
    int *calls = user;
    (*calls)++;
    if (nwoken < 64)
        woken[nwoken++] = s;
}

static int wake_calls;

static hap_backend *load(const char *cfg)
{
    hap_backend *be = NULL;
    char err[512];
    hap_result r = hap_backend_from_config(cfg, strlen(cfg), "be", &be, err, sizeof(err));
    if (r != HAP_OK) {
        fprintf(stderr, "load failed (%d): %s\n", (int)r, err);
        failures++;
        return NULL;
    }
    CHECK(err[0] == '\0');
    hap_backend_set_wakeup(be, on_wakeup, &wake_calls);
    nwoken = 0;
    return be;
}

static hap_stream *stream(hap_backend *be, int klass, int offset)
{
    hap_stream *s = NULL;
    CHECK(hap_stream_new(be, &s) == HAP_OK);
    hap_stream_set_priority(s, klass, offset);
    return s;
}

static int assigned(hap_stream *s)
{
    return hap_stream_get_state(s, NULL) == HAP_STREAM_ASSIGNED;
}

/* D1: slot accounting and the backend queue. */
static void d1(void)
{
    hap_backend *be = load("backend be\n    server a 127.0.0.1:80 maxconn 2\n");
    if (!be)
        return;
    hap_server *a = hap_backend_server(be, "a");
    CHECK(a != NULL);
    hap_stream *s1 = stream(be, 0, 0), *s2 = stream(be, 0, 0), *s3 = stream(be, 0, 0);
    hap_server *got = NULL;
    CHECK(hap_stream_get_state(s1, &got) == HAP_STREAM_NEW);
    CHECK(hap_stream_assign(s1, 0, &got) == HAP_OK && got == a);
    CHECK(hap_stream_assign(s2, 0, &got) == HAP_OK && got == a);
    CHECK(hap_stream_assign(s3, 0, &got) == HAP_QUEUED);
    CHECK(hap_stream_get_state(s3, &got) == HAP_STREAM_QUEUED && got == NULL);
    CHECK(hap_backend_queued(be) == 1);
    CHECK(hap_server_queued(a) == 0);
    CHECK(hap_backend_totpend(be) == 1);
    CHECK(hap_server_served(a) == 2);
    CHECK(hap_backend_served(be) == 2);
    CHECK(hap_stream_release(s1) == HAP_OK);
    CHECK(nwoken == 1 && woken[0] == s3);
    CHECK(hap_stream_get_state(s3, &got) == HAP_STREAM_ASSIGNED && got == a);
    /* assign after the wake-up reports the slot */
    got = NULL;
    CHECK(hap_stream_assign(s3, 1, &got) == HAP_OK && got == a);
    CHECK(hap_server_served(a) == 2);
    CHECK(hap_backend_queued(be) == 0 && hap_backend_totpend(be) == 0);
    CHECK(hap_stream_get_state(s1, NULL) == HAP_STREAM_RELEASED);
    CHECK(hap_stream_assign(s1, 2, NULL) == HAP_ERR_STATE);
    hap_stream_free(s1);
    hap_stream_free(s2);
    hap_stream_free(s3);
    CHECK(hap_backend_served(be) == 0);
    hap_backend_free(be);
}

/* Releases `holder`, then checks that exactly `next` got the slot; returns `next`. */
static hap_stream *hand_over(hap_stream *holder, hap_stream *next)
{
    CHECK(hap_stream_release(holder) == HAP_OK);
    CHECK(assigned(next));
    hap_stream_free(holder);
    return next;
}

/* D2: FIFO within a class, by now_ms and by insertion order at equal now_ms. */
static void d2(void)
{
    for (int variant = 0; variant < 2; variant++) {
        hap_backend *be = load("backend be\n    server a 127.0.0.1:80 maxconn 1\n");
        if (!be)
            return;
        hap_stream *h = stream(be, 0, 0), *s[5];
        CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
        for (int i = 0; i < 5; i++) {
            s[i] = stream(be, 0, 0);
            CHECK(hap_stream_assign(s[i], variant ? 7 : (uint64_t)i, NULL) == HAP_QUEUED);
        }
        CHECK(hap_backend_queued(be) == 5);
        for (int i = 0; i < 5; i++)
            h = hand_over(h, s[i]);
        CHECK(hap_stream_release(h) == HAP_OK);
        hap_stream_free(h);
        CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
        hap_backend_free(be);
    }
}

/* D3: lower class first, FIFO on ties; classes clamp to +-2047. */
static void d3(void)
{
    hap_backend *be = load("backend be\n    server a 127.0.0.1:80 maxconn 1\n");
    if (!be)
        return;
    hap_stream *h = stream(be, 0, 0);
    CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
    hap_stream *A = stream(be, 5, 0), *B = stream(be, 0, 0), *C = stream(be, -3, 0),
               *D = stream(be, 0, 0);
    CHECK(hap_stream_assign(A, 1, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(B, 2, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(C, 3, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(D, 4, NULL) == HAP_QUEUED);
    h = hand_over(h, C);
    h = hand_over(h, B);
    h = hand_over(h, D);
    h = hand_over(h, A);
    /* X (5000 -> 2047, t=10), W (2047, t=11), Y (2046, t=12): Y, X, W. */
    hap_stream *X = stream(be, 5000, 0), *W = stream(be, 2047, 0), *Y = stream(be, 2046, 0);
    CHECK(hap_stream_assign(X, 10, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(W, 11, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(Y, 12, NULL) == HAP_QUEUED);
    h = hand_over(h, Y);
    h = hand_over(h, X);
    h = hand_over(h, W);
    /* N (-2047, t=20) before M (-5000 -> -2047, t=21). */
    hap_stream *N = stream(be, -2047, 0), *M = stream(be, -5000, 0);
    CHECK(hap_stream_assign(N, 20, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(M, 21, NULL) == HAP_QUEUED);
    h = hand_over(h, N);
    h = hand_over(h, M);
    hap_stream_free(h);
    CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
    hap_backend_free(be);
}

/* D6: a persisted stream beyond maxqueue gets HAP_FULL, or with option redispatch goes to
 * the other server. */
static void d6(void)
{
    for (int redispatch = 0; redispatch < 2; redispatch++) {
        hap_backend *be = load(redispatch ? "backend be\n    option redispatch\n"
                                            "    server s1 127.0.0.1:80 maxconn 1 maxqueue 2\n"
                                            "    server s2 127.0.0.1:81 maxconn 1\n"
                                          : "backend be\n"
                                            "    server s1 127.0.0.1:80 maxconn 1 maxqueue 2\n"
                                            "    server s2 127.0.0.1:81 maxconn 1\n");
        if (!be)
            return;
        hap_server *s1 = hap_backend_server(be, "s1"), *s2 = hap_backend_server(be, "s2");
        CHECK(s1 && s2);
        hap_stream *h = stream(be, 0, 0), *p[3];
        hap_server *got = NULL;
        CHECK(hap_stream_set_server(h, s1) == HAP_OK);
        CHECK(hap_stream_assign(h, 0, &got) == HAP_OK && got == s1);
        for (int i = 0; i < 3; i++) {
            p[i] = stream(be, 0, 0);
            CHECK(hap_stream_set_server(p[i], s1) == HAP_OK);
        }
        CHECK(hap_stream_assign(p[0], 1, NULL) == HAP_QUEUED);
        CHECK(hap_stream_assign(p[1], 2, NULL) == HAP_QUEUED);
        CHECK(hap_server_queued(s1) == 2 && hap_backend_queued(be) == 0);
        CHECK(hap_stream_set_server(p[0], s2) == HAP_ERR_STATE);
        hap_result r = hap_stream_assign(p[2], 3, &got);
        if (redispatch) {
            CHECK(r == HAP_OK && got == s2);
            CHECK(hap_server_served(s2) == 1);
        } else {
            CHECK(r == HAP_FULL);
            CHECK(hap_server_served(s2) == 0);
        }
        CHECK(hap_backend_totpend(be) == 2);
        for (int i = 0; i < 3; i++)
            hap_stream_free(p[i]);
        hap_stream_free(h);
        CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
        hap_backend_free(be);
    }
}

/* D7: timeout queue, applied by hap_backend_expire. */
static void d7(void)
{
    hap_backend *be = load("backend be\n    timeout queue 100ms\n"
                           "    server a 127.0.0.1:80 maxconn 1\n");
    if (!be)
        return;
    hap_stream *h = stream(be, 0, 0), *s1 = stream(be, 0, 0), *s2 = stream(be, 0, 0);
    CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
    CHECK(hap_stream_assign(s1, 0, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(s2, 50, NULL) == HAP_QUEUED);
    CHECK(hap_backend_expire(be, 99) == 0);
    CHECK(hap_backend_expire(be, 100) == 1);
    CHECK(hap_stream_get_state(s1, NULL) == HAP_STREAM_EXPIRED);
    CHECK(hap_stream_get_state(s2, NULL) == HAP_STREAM_QUEUED);
    CHECK(nwoken == 1 && woken[0] == s1);
    CHECK(hap_backend_queued(be) == 1 && hap_backend_totpend(be) == 1);
    CHECK(hap_stream_assign(s1, 101, NULL) == HAP_ERR_STATE);
    CHECK(hap_backend_expire(be, 150) == 1);
    CHECK(hap_stream_get_state(s2, NULL) == HAP_STREAM_EXPIRED);
    CHECK(hap_backend_totpend(be) == 0 && hap_server_served(hap_backend_server(be, "a")) == 1);
    hap_stream_free(s1);
    hap_stream_free(s2);
    hap_stream_free(h);
    CHECK(hap_backend_served(be) == 0);
    hap_backend_free(be);
}

/* D8: a queued stream aborts; the release that follows dequeues nobody. */
static void d8(void)
{
    hap_backend *be = load("backend be\n    server a 127.0.0.1:80 maxconn 1\n");
    if (!be)
        return;
    hap_stream *h = stream(be, 0, 0), *s = stream(be, 0, 0);
    CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
    CHECK(hap_stream_assign(s, 0, NULL) == HAP_QUEUED);
    CHECK(hap_stream_release(s) == HAP_ERR_STATE);
    CHECK(hap_stream_abort(s) == HAP_OK);
    CHECK(hap_stream_get_state(s, NULL) == HAP_STREAM_RELEASED);
    CHECK(hap_backend_totpend(be) == 0);
    CHECK(hap_stream_release(h) == HAP_OK);
    CHECK(nwoken == 0);
    CHECK(hap_backend_served(be) == 0);
    hap_stream_free(s);
    hap_stream_free(h);
    hap_backend_free(be);
}

/* D13: a server coming up takes exactly maxconn streams from the backend queue. */
static void d13(void)
{
    hap_backend *be = load("backend be\n"
                           "    server a 127.0.0.1:80 maxconn 1\n"
                           "    server b 127.0.0.1:81 maxconn 2 disabled\n");
    if (!be)
        return;
    hap_server *a = hap_backend_server(be, "a"), *b = hap_backend_server(be, "b");
    hap_stream *h = stream(be, 0, 0), *s[5];
    CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
    for (int i = 0; i < 5; i++) {
        s[i] = stream(be, 0, 0);
        CHECK(hap_stream_assign(s[i], (uint64_t)i + 1, NULL) == HAP_QUEUED);
    }
    CHECK(hap_backend_queued(be) == 5);
    CHECK(hap_server_set_state(b, HAP_SERVER_UP) == HAP_OK);
    CHECK(hap_server_served(b) == 2 && hap_server_served(a) == 1);
    CHECK(assigned(s[0]) && assigned(s[1]) && !assigned(s[2]));
    CHECK(hap_backend_queued(be) == 3 && hap_backend_totpend(be) == 3);
    CHECK(nwoken == 2);
    /* raising maxconn dequeues at once, never beyond the new limit */
    CHECK(hap_server_set_maxconn(b, 3) == HAP_OK);
    CHECK(hap_server_served(b) == 3 && hap_backend_queued(be) == 2);
    CHECK(assigned(s[2]) && !assigned(s[3]));
    CHECK(hap_server_set_weight(b, 1000) == HAP_ERR_INVALID);
    CHECK(hap_server_set_weight(b, 10) == HAP_OK);
    for (int i = 0; i < 5; i++)
        hap_stream_free(s[i]);
    hap_stream_free(h);
    CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
    hap_backend_free(be);
}

/* D12: the last usable server goes to maintenance: waiters are redispatched, then NOSRV. */
static void d12(void)
{
    hap_backend *be = load("backend be\n    server a 127.0.0.1:80 maxconn 1\n");
    if (!be)
        return;
    hap_server *a = hap_backend_server(be, "a");
    hap_stream *h = stream(be, 0, 0), *s1 = stream(be, 0, 0), *s2 = stream(be, 0, 0);
    CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
    CHECK(hap_stream_assign(s1, 0, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(s2, 0, NULL) == HAP_QUEUED);
    CHECK(hap_server_set_state(a, HAP_SERVER_MAINT) == HAP_OK);
    CHECK(hap_stream_get_state(s1, NULL) == HAP_STREAM_REDISPATCHED);
    CHECK(hap_stream_get_state(s2, NULL) == HAP_STREAM_REDISPATCHED);
    CHECK(nwoken == 2);
    CHECK(hap_backend_totpend(be) == 0);
    CHECK(hap_stream_assign(s1, 1, NULL) == HAP_NOSRV);
    CHECK(hap_stream_assign(s2, 1, NULL) == HAP_NOSRV);
    hap_stream *s3 = stream(be, 0, 0);
    CHECK(hap_stream_assign(s3, 2, NULL) == HAP_NOSRV);
    hap_stream_free(s3);
    hap_stream_free(s1);
    hap_stream_free(s2);
    hap_stream_free(h);
    CHECK(hap_backend_served(be) == 0);
    hap_backend_free(be);
}

/* Hash-based balancing uses the caller's key: the same key always picks the same server,
 * and different keys reach both servers. */
static void hash_key(void)
{
    hap_backend *be = load("backend be\n    balance source\n    hash-type consistent\n"
                           "    server a 127.0.0.1:80\n    server b 127.0.0.1:81\n");
    if (!be)
        return;
    hap_server *first = NULL, *seen[2] = {NULL, NULL};
    for (int i = 0; i < 5; i++) {
        hap_stream *s = stream(be, 0, 0);
        hap_server *got = NULL;
        hap_stream_set_hash_key(s, (const uint8_t *)"\x0a\x00\x00\x01", 4);
        CHECK(hap_stream_assign(s, 0, &got) == HAP_OK && got != NULL);
        if (!first)
            first = got;
        CHECK(got == first);
        hap_stream_free(s);
    }
    for (uint32_t k = 0; k < 64; k++) {
        hap_stream *s = stream(be, 0, 0);
        hap_server *got = NULL;
        uint8_t key[4] = {10, 0, (uint8_t)(k >> 8), (uint8_t)k};
        hap_stream_set_hash_key(s, key, sizeof(key));
        CHECK(hap_stream_assign(s, 0, &got) == HAP_OK);
        seen[got == hap_backend_server(be, "b")] = got;
        hap_stream_free(s);
    }
    CHECK(seen[0] != NULL && seen[1] != NULL);
    CHECK(hap_backend_served(be) == 0);
    hap_backend_free(be);
}

static void bad_input(void)
{
    static const char cfg[] = "backend be\n    server a 127.0.0.1:80 maxconn 1\n";
    /* line 3 holds an unknown keyword */
    static const char bad[] = "backend be\n    server a 127.0.0.1:80\n    no-such-keyword 1\n";
    hap_backend *be = NULL;
    char err[512];

    CHECK(hap_backend_from_config(NULL, 3, "be", &be, err, sizeof(err)) == HAP_ERR_NULL);
    CHECK(hap_backend_from_config(cfg, strlen(cfg), NULL, &be, err, sizeof(err)) == HAP_ERR_NULL);
    CHECK(hap_backend_from_config(cfg, strlen(cfg), "be", NULL, err, sizeof(err)) == HAP_ERR_NULL);
    CHECK(hap_backend_from_config(cfg, strlen(cfg), "be", &be, NULL, 5) == HAP_ERR_NULL);
    CHECK(be == NULL);

    err[0] = '\0';
    CHECK(hap_backend_from_config(bad, strlen(bad), "be", &be, err, sizeof(err)) == HAP_ERR_INVALID);
    CHECK(be == NULL);
    CHECK(strstr(err, "[ALERT]") != NULL);
    CHECK(strstr(err, "parsing [<text>:3]") != NULL);

    err[0] = '\0';
    CHECK(hap_backend_from_config(cfg, strlen(cfg), "nope", &be, err, sizeof(err)) == HAP_ERR_INVALID);
    CHECK(be == NULL);
    CHECK(strstr(err, "nope") != NULL);

    /* tiny error buffer: truncated, terminated */
    char tiny[8];
    memset(tiny, 'x', sizeof(tiny));
    CHECK(hap_backend_from_config(bad, strlen(bad), "be", &be, tiny, sizeof(tiny)) == HAP_ERR_INVALID);
    CHECK(tiny[7] == '\0' && strlen(tiny) == 7);

    CHECK(hap_backend_server(NULL, "a") == NULL);
    CHECK(hap_backend_expire(NULL, 0) == 0);
    CHECK(hap_backend_queued(NULL) == 0 && hap_backend_totpend(NULL) == 0 &&
          hap_backend_served(NULL) == 0);
    CHECK(hap_server_served(NULL) == 0 && hap_server_queued(NULL) == 0);
    CHECK(hap_server_set_state(NULL, HAP_SERVER_UP) == HAP_ERR_NULL);
    CHECK(hap_server_set_maxconn(NULL, 1) == HAP_ERR_NULL);
    CHECK(hap_server_set_weight(NULL, 1) == HAP_ERR_NULL);
    hap_stream *s = NULL;
    CHECK(hap_stream_new(NULL, &s) == HAP_ERR_NULL && s == NULL);
    hap_stream_set_priority(NULL, 1, 1);
    hap_stream_set_hash_key(NULL, (const uint8_t *)"k", 1);
    CHECK(hap_stream_set_server(NULL, NULL) == HAP_ERR_NULL);
    CHECK(hap_stream_assign(NULL, 0, NULL) == HAP_ERR_NULL);
    CHECK(hap_stream_get_state(NULL, NULL) == HAP_STREAM_RELEASED);
    CHECK(hap_stream_release(NULL) == HAP_ERR_NULL);
    CHECK(hap_stream_abort(NULL) == HAP_ERR_NULL);
    hap_stream_free(NULL);
    hap_backend_free(NULL);
    hap_backend_set_wakeup(NULL, on_wakeup, NULL);

    /* a server of another backend is refused; NULL arguments of live handles too */
    hap_backend *b1 = load(cfg), *b2 = load(cfg);
    if (!b1 || !b2)
        return;
    CHECK(hap_backend_server(b1, NULL) == NULL);
    CHECK(hap_backend_server(b1, "zz") == NULL);
    CHECK(hap_stream_new(b1, NULL) == HAP_ERR_NULL);
    CHECK(hap_stream_new(b1, &s) == HAP_OK);
    CHECK(hap_stream_set_server(s, NULL) == HAP_ERR_NULL);
    CHECK(hap_stream_set_server(s, hap_backend_server(b2, "a")) == HAP_ERR_INVALID);
    CHECK(hap_stream_set_server(s, hap_backend_server(b1, "a")) == HAP_OK);
    hap_stream_set_hash_key(s, NULL, 0);
    hap_stream_set_hash_key(s, (const uint8_t *)"/x", 2);
    CHECK(hap_stream_assign(s, 0, NULL) == HAP_OK);
    hap_stream_free(s); /* releases */
    CHECK(hap_backend_served(b1) == 0);
    hap_backend_free(b1);
    hap_backend_free(b2);
}

int main(void)
{
    d1();
    d2();
    d3();
    d6();
    d7();
    d8();
    d13();
    d12();
    hash_key();
    bad_input();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("queue_basic: all checks passed\n");
    return 0;
}
