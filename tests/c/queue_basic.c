/* C-side deterministic test of the queue API (c-api.md "Queue API"), with the caller's
 * now_ms: the scenarios D1-D8, D10, D12, D13 of queue-tests.md (D6 also through
 * hap_server_set_maxqueue and the persistence flags, D10 through HAP_SERVER_STARTING and
 * hap_backend_tick), force-persist through DOWN, server deletion (the handle after it),
 * the read accessors, the caller's hash key, plus bad input.
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

/* D4: within a class, now_ms + offset_ms orders the queue; offsets clamp to +-524287. */
static void d4(void)
{
    hap_backend *be = load("backend be\n    server a 127.0.0.1:80 maxconn 1\n");
    if (!be)
        return;
    hap_stream *h = stream(be, 0, 0);
    CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
    /* A (t=0, +0) key 0, B (t=10, -100) key -90, C (t=20, +50) key 70: B, A, C */
    hap_stream *A = stream(be, 0, 0), *B = stream(be, 0, -100), *C = stream(be, 0, 50);
    CHECK(hap_stream_assign(A, 0, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(B, 10, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(C, 20, NULL) == HAP_QUEUED);
    h = hand_over(h, B);
    h = hand_over(h, A);
    h = hand_over(h, C);
    /* +10^6 is +524287: X (t=100, +10^6) ties W (t=100, +524287), FIFO; V (+524286) first */
    hap_stream *X = stream(be, 0, 1000000), *W = stream(be, 0, 524287), *V = stream(be, 0, 524286);
    CHECK(hap_stream_assign(X, 100, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(W, 100, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(V, 100, NULL) == HAP_QUEUED);
    h = hand_over(h, V);
    h = hand_over(h, X);
    h = hand_over(h, W);
    /* -10^6 is -524287: L (-524286) queued first still comes after N (-10^6) and M (-524287) */
    hap_stream *L = stream(be, 0, -524286), *N = stream(be, 0, -1000000),
               *M = stream(be, 0, -524287);
    CHECK(hap_stream_assign(L, 600000, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(N, 600000, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(M, 600000, NULL) == HAP_QUEUED);
    h = hand_over(h, N);
    h = hand_over(h, M);
    h = hand_over(h, L);
    hap_stream_free(h);
    CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
    hap_backend_free(be);
}

/* D5: server queue vs backend queue. Two busy servers (maxconn 1); P persisted to s1 waits
 * in s1's queue, L (load-balanced) in the backend queue. */
static void d5(void)
{
    /* case: 0 = L earlier -> L; 1 = same key -> P (ties go to the server queue);
     * 2 = P class 1, L class 0 queued later -> L; 3 = s2's release never takes P -> L on s2 */
    for (int c = 0; c < 4; c++) {
        hap_backend *be = load("backend be\n"
                               "    server s1 127.0.0.1:80 maxconn 1\n"
                               "    server s2 127.0.0.1:81 maxconn 1\n");
        if (!be)
            return;
        hap_server *s1 = hap_backend_server(be, "s1"), *s2 = hap_backend_server(be, "s2");
        hap_stream *h1 = stream(be, 0, 0), *h2 = stream(be, 0, 0);
        hap_server *got = NULL;
        CHECK(hap_stream_set_server(h1, s1) == HAP_OK);
        CHECK(hap_stream_set_server(h2, s2) == HAP_OK);
        CHECK(hap_stream_assign(h1, 0, &got) == HAP_OK && got == s1);
        CHECK(hap_stream_assign(h2, 0, &got) == HAP_OK && got == s2);
        hap_stream *P = stream(be, c == 2 ? 1 : 0, 0), *L = stream(be, 0, 0);
        CHECK(hap_stream_set_server(P, s1) == HAP_OK);
        uint64_t tp = 0, tl = 0;
        switch (c) {
        case 0: tl = 0; tp = 1; break;
        case 1: tl = 0; tp = 0; break;
        case 2: tp = 0; tl = 1; break;
        case 3: tp = 0; tl = 5; break;
        }
        if (c == 0 || c == 1) {
            CHECK(hap_stream_assign(L, tl, NULL) == HAP_QUEUED);
            CHECK(hap_stream_assign(P, tp, NULL) == HAP_QUEUED);
        } else {
            CHECK(hap_stream_assign(P, tp, NULL) == HAP_QUEUED);
            CHECK(hap_stream_assign(L, tl, NULL) == HAP_QUEUED);
        }
        CHECK(hap_server_queued(s1) == 1 && hap_server_queued(s2) == 0);
        CHECK(hap_backend_queued(be) == 1 && hap_backend_totpend(be) == 2);
        CHECK(hap_stream_release(c == 3 ? h2 : h1) == HAP_OK);
        hap_server *want = c == 3 ? s2 : s1;
        if (c == 1) {
            CHECK(hap_stream_get_state(P, &got) == HAP_STREAM_ASSIGNED && got == want);
            CHECK(hap_stream_get_state(L, NULL) == HAP_STREAM_QUEUED);
        } else {
            CHECK(hap_stream_get_state(L, &got) == HAP_STREAM_ASSIGNED && got == want);
            CHECK(hap_stream_get_state(P, NULL) == HAP_STREAM_QUEUED);
        }
        CHECK(hap_backend_totpend(be) == 1 && hap_server_served(want) == 1);
        hap_stream_free(P);
        hap_stream_free(L);
        hap_stream_free(h1);
        hap_stream_free(h2);
        CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
        hap_backend_free(be);
    }
}

/* D6 with the setter: maxqueue set at run time, the persistence flags on overflow. */
static void d6_setter_and_flags(void)
{
    hap_backend *be = load("backend be\n    option redispatch\n"
                           "    server s1 127.0.0.1:80 maxconn 1\n"
                           "    server s2 127.0.0.1:81 maxconn 1\n");
    if (!be)
        return;
    hap_server *s1 = hap_backend_server(be, "s1"), *s2 = hap_backend_server(be, "s2");
    CHECK(hap_server_maxqueue(s1) == 0);
    CHECK(hap_server_set_maxqueue(s1, 2) == HAP_OK);
    CHECK(hap_server_maxqueue(s1) == 2);
    hap_stream *h = stream(be, 0, 0), *p[2];
    CHECK(hap_stream_set_server(h, s1) == HAP_OK);
    CHECK(hap_stream_assign(h, 0, NULL) == HAP_OK);
    for (int i = 0; i < 2; i++) {
        p[i] = stream(be, 0, 0);
        CHECK(hap_stream_set_server_ex(p[i], s1, HAP_PERSIST_DIRECT) == HAP_OK);
        CHECK(hap_stream_assign(p[i], 1, NULL) == HAP_QUEUED);
    }
    CHECK(hap_server_queued(s1) == 2);
    /* the third: forced -> FULL; a rule's choice (no flag) -> FULL; direct -> s2 */
    hap_stream *f = stream(be, 0, 0), *u = stream(be, 0, 0), *d = stream(be, 0, 0);
    hap_server *got = NULL;
    CHECK(hap_stream_set_server_ex(f, s1, HAP_PERSIST_DIRECT | HAP_PERSIST_FORCE) == HAP_OK);
    CHECK(hap_stream_assign(f, 2, NULL) == HAP_FULL);
    CHECK(hap_stream_set_server_ex(u, s1, HAP_PERSIST_NONE) == HAP_OK);
    CHECK(hap_stream_assign(u, 2, NULL) == HAP_FULL);
    CHECK(hap_stream_set_server_ex(d, s1, HAP_PERSIST_DIRECT) == HAP_OK);
    CHECK(hap_stream_assign(d, 2, &got) == HAP_OK && got == s2);
    /* unlimited again: a new forced stream waits */
    CHECK(hap_server_set_maxqueue(s1, 0) == HAP_OK);
    hap_stream *f2 = stream(be, 0, 0);
    CHECK(hap_stream_set_server_ex(f2, s1, HAP_PERSIST_FORCE) == HAP_OK);
    CHECK(hap_stream_assign(f2, 3, NULL) == HAP_QUEUED && hap_server_queued(s1) == 3);
    /* lowering below the current length evicts nobody */
    CHECK(hap_server_set_maxqueue(s1, 1) == HAP_OK && hap_server_queued(s1) == 3);
    CHECK(hap_stream_set_server_ex(u, s1, 4) == HAP_ERR_INVALID);
    CHECK(hap_stream_set_server_ex(u, s1, 0x80000000u) == HAP_ERR_INVALID);
    hap_stream *all[] = {p[0], p[1], f, u, d, f2, h};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        hap_stream_free(all[i]);
    CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
    hap_backend_free(be);
}

/* force-persist through DOWN (with option redispatch): the direct waiter is redispatched,
 * the forced one stays in the server's queue and is served once the server is back. */
static void force_persist_down(void)
{
    hap_backend *be = load("backend be\n    option redispatch\n"
                           "    server s1 127.0.0.1:80 maxconn 1\n"
                           "    server s2 127.0.0.1:81 maxconn 1\n");
    if (!be)
        return;
    hap_server *s1 = hap_backend_server(be, "s1"), *s2 = hap_backend_server(be, "s2");
    hap_stream *h = stream(be, 0, 0), *P = stream(be, 0, 0), *F = stream(be, 0, 0);
    hap_server *got = NULL;
    CHECK(hap_stream_set_server(h, s1) == HAP_OK && hap_stream_assign(h, 0, NULL) == HAP_OK);
    CHECK(hap_stream_set_server_ex(P, s1, HAP_PERSIST_DIRECT) == HAP_OK);
    CHECK(hap_stream_set_server_ex(F, s1, HAP_PERSIST_DIRECT | HAP_PERSIST_FORCE) == HAP_OK);
    CHECK(hap_stream_assign(P, 1, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(F, 2, NULL) == HAP_QUEUED);
    nwoken = 0;
    CHECK(hap_server_set_state_at(s1, HAP_SERVER_DOWN, 3) == HAP_OK);
    hap_server_state st = HAP_SERVER_UP;
    CHECK(hap_server_get_state(s1, &st) == HAP_OK && st == HAP_SERVER_DOWN);
    CHECK(hap_stream_get_state(P, NULL) == HAP_STREAM_REDISPATCHED);
    CHECK(hap_stream_get_state(F, NULL) == HAP_STREAM_QUEUED && hap_server_queued(s1) == 1);
    CHECK(nwoken == 1 && woken[0] == P);
    CHECK(hap_stream_assign(P, 4, &got) == HAP_OK && got == s2);
    /* a new forced stream to the DOWN server waits for it (no LB) */
    hap_stream *F2 = stream(be, 0, 0);
    CHECK(hap_stream_set_server_ex(F2, s1, HAP_PERSIST_FORCE) == HAP_OK);
    CHECK(hap_stream_assign(F2, 5, NULL) == HAP_QUEUED && hap_server_queued(s1) == 2);
    CHECK(hap_server_set_state_at(s1, HAP_SERVER_UP, 6) == HAP_OK);
    CHECK(hap_stream_release(h) == HAP_OK);
    CHECK(hap_stream_get_state(F, &got) == HAP_STREAM_ASSIGNED && got == s1);
    CHECK(hap_stream_release(F) == HAP_OK);
    CHECK(hap_stream_get_state(F2, &got) == HAP_STREAM_ASSIGNED && got == s1);
    hap_stream *all[] = {h, P, F, F2};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        hap_stream_free(all[i]);
    CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
    hap_backend_free(be);
}

/* D10: slowstart over the C API. UP on a MAINT server with slowstart 10s is STARTING; the
 * dynamic maxconn follows the caller's clock through hap_backend_tick. */
static void d10(void)
{
    hap_backend *be = load("backend be\n"
                           "    server a 127.0.0.1:80 maxconn 100 slowstart 10s disabled\n"
                           "    server b 127.0.0.1:81 maxconn 100 slowstart 10s disabled\n");
    if (!be)
        return;
    hap_server *a = hap_backend_server(be, "a"), *b = hap_backend_server(be, "b");
    hap_server_state st = HAP_SERVER_UP;
    CHECK(hap_server_get_state(a, &st) == HAP_OK && st == HAP_SERVER_MAINT);
    CHECK(hap_server_set_state_at(a, HAP_SERVER_UP, 0) == HAP_OK);
    CHECK(hap_server_get_state(a, &st) == HAP_OK && st == HAP_SERVER_STARTING);
    CHECK(hap_server_maxconn(a) == 100 && hap_server_dyn_maxconn(a) == 1);
    hap_stream *s[30];
    int oks = 0;
    for (int i = 0; i < 30; i++) {
        s[i] = stream(be, 0, 0);
        oks += hap_stream_assign(s[i], 0, NULL) == HAP_OK;
    }
    CHECK(oks == 1 && hap_backend_queued(be) == 29);
    CHECK(hap_backend_tick(be, 50) == 0 && hap_server_dyn_maxconn(a) == 1); /* 0.5%: 1 */
    nwoken = 0;
    CHECK(hap_backend_tick(be, 2500) == 24); /* 25% */
    CHECK(hap_server_dyn_maxconn(a) == 25 && hap_server_served(a) == 25);
    CHECK(nwoken == 24);
    CHECK(hap_backend_tick(be, 10000) == 5);
    CHECK(hap_server_get_state(a, &st) == HAP_OK && st == HAP_SERVER_UP);
    CHECK(hap_server_dyn_maxconn(a) == 100 && hap_server_served(a) == 30);
    CHECK(hap_backend_totpend(be) == 0);
    /* STARTING given explicitly restarts the window at now_ms; nobody is evicted */
    CHECK(hap_server_set_state_at(a, HAP_SERVER_STARTING, 20000) == HAP_OK);
    CHECK(hap_server_get_state(a, &st) == HAP_OK && st == HAP_SERVER_STARTING);
    CHECK(hap_server_dyn_maxconn(a) == 1 && hap_server_served(a) == 30);
    CHECK(hap_backend_tick(be, 25000) == 0 && hap_server_dyn_maxconn(a) == 50);
    /* the old call uses the backend's clock (the latest now_ms passed in: 25000) */
    CHECK(hap_server_set_state(b, HAP_SERVER_UP) == HAP_OK);
    CHECK(hap_server_get_state(b, &st) == HAP_OK && st == HAP_SERVER_STARTING);
    CHECK(hap_backend_tick(be, 30000) == 0);
    CHECK(hap_server_dyn_maxconn(b) == 50);
    CHECK(hap_backend_tick(be, 35000) == 0);
    CHECK(hap_server_get_state(a, &st) == HAP_OK && st == HAP_SERVER_UP);
    CHECK(hap_server_get_state(b, &st) == HAP_OK && st == HAP_SERVER_UP);
    CHECK(hap_server_dyn_maxconn(b) == 100);
    for (int i = 0; i < 30; i++)
        hap_stream_free(s[i]);
    CHECK(hap_backend_served(be) == 0);
    hap_backend_free(be);
}

/* Deletion: the handle stays valid and readable, changes are refused, the queue moves. */
static void deletion(void)
{
    hap_backend *be = load("backend be\n"
                           "    server s1 127.0.0.1:80 maxconn 1\n"
                           "    server s2 127.0.0.1:81 maxconn 1\n");
    if (!be)
        return;
    hap_server *s1 = hap_backend_server(be, "s1"), *s2 = hap_backend_server(be, "s2");
    CHECK(hap_backend_server_count(be) == 2);
    CHECK(hap_backend_server_at(be, 0) == s1 && hap_backend_server_at(be, 1) == s2);
    CHECK(hap_backend_server_at(be, 2) == NULL);
    hap_stream *h1 = stream(be, 0, 0), *h2 = stream(be, 0, 0);
    CHECK(hap_stream_set_server(h1, s1) == HAP_OK && hap_stream_assign(h1, 0, NULL) == HAP_OK);
    CHECK(hap_stream_set_server(h2, s2) == HAP_OK && hap_stream_assign(h2, 0, NULL) == HAP_OK);
    hap_stream *L = stream(be, 0, 0), *P = stream(be, 0, 0), *F = stream(be, 0, 0);
    CHECK(hap_stream_assign(L, 1, NULL) == HAP_QUEUED);
    CHECK(hap_stream_set_server_ex(P, s1, HAP_PERSIST_DIRECT) == HAP_OK);
    CHECK(hap_stream_set_server_ex(F, s1, HAP_PERSIST_FORCE) == HAP_OK);
    CHECK(hap_stream_assign(P, 2, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(F, 3, NULL) == HAP_QUEUED);
    CHECK(hap_server_queued(s1) == 2 && hap_backend_queued(be) == 1);
    nwoken = 0;
    CHECK(!hap_server_is_deleted(s1));
    CHECK(hap_server_delete(s1) == HAP_OK);
    CHECK(hap_server_is_deleted(s1) && !hap_server_is_deleted(s2));
    /* both persisted waiters, the forced one too, are redispatched; L keeps its place */
    CHECK(hap_stream_get_state(P, NULL) == HAP_STREAM_REDISPATCHED);
    CHECK(hap_stream_get_state(F, NULL) == HAP_STREAM_REDISPATCHED);
    CHECK(hap_stream_get_state(L, NULL) == HAP_STREAM_QUEUED);
    CHECK(nwoken == 2);
    CHECK(hap_server_queued(s1) == 0 && hap_backend_totpend(be) == 1);
    /* the handle: readable, every change refused */
    char name[8];
    size_t n = 0;
    CHECK(hap_server_name(s1, name, sizeof(name), &n) == HAP_OK && n == 2);
    CHECK(strcmp(name, "s1") == 0);
    CHECK(hap_server_served(s1) == 1 && hap_server_maxconn(s1) == 1);
    hap_server_state st = HAP_SERVER_DRAIN;
    CHECK(hap_server_get_state(s1, &st) == HAP_ERR_STATE && st == HAP_SERVER_DRAIN);
    CHECK(hap_server_set_state(s1, HAP_SERVER_UP) == HAP_ERR_STATE);
    CHECK(hap_server_set_state_at(s1, HAP_SERVER_UP, 4) == HAP_ERR_STATE);
    CHECK(hap_server_set_maxconn(s1, 5) == HAP_ERR_STATE);
    CHECK(hap_server_set_maxqueue(s1, 5) == HAP_ERR_STATE);
    CHECK(hap_server_set_weight(s1, 5) == HAP_ERR_STATE);
    CHECK(hap_server_delete(s1) == HAP_ERR_STATE);
    hap_stream *X = stream(be, 0, 0);
    CHECK(hap_stream_set_server(X, s1) == HAP_ERR_STATE);
    CHECK(hap_stream_set_server_ex(X, s1, HAP_PERSIST_FORCE) == HAP_ERR_STATE);
    CHECK(hap_backend_server(be, "s1") == NULL);
    CHECK(hap_backend_server(be, "s2") == s2);
    CHECK(hap_backend_server_count(be) == 2 && hap_backend_server_at(be, 0) == s1);
    /* the redispatched streams wait for s2 in the backend queue */
    CHECK(hap_stream_assign(P, 5, NULL) == HAP_QUEUED);
    CHECK(hap_stream_assign(F, 6, NULL) == HAP_QUEUED);
    CHECK(hap_backend_queued(be) == 3);
    /* the slot held on s1 goes back; nobody is served on s1 again */
    CHECK(hap_stream_release(h1) == HAP_OK);
    CHECK(hap_server_served(s1) == 0 && hap_backend_queued(be) == 3);
    hap_server *got = NULL;
    CHECK(hap_stream_release(h2) == HAP_OK);
    CHECK(hap_stream_get_state(L, &got) == HAP_STREAM_ASSIGNED && got == s2);
    CHECK(hap_stream_release(L) == HAP_OK);
    CHECK(hap_stream_get_state(P, &got) == HAP_STREAM_ASSIGNED && got == s2);
    /* deleting the last server: the backend queue is redispatched, then NOSRV */
    CHECK(hap_server_delete(s2) == HAP_OK);
    CHECK(hap_stream_get_state(F, NULL) == HAP_STREAM_REDISPATCHED);
    CHECK(hap_stream_assign(F, 7, NULL) == HAP_NOSRV);
    CHECK(hap_stream_assign(X, 7, NULL) == HAP_NOSRV);
    CHECK(hap_server_served(s2) == 1);
    hap_stream *all[] = {h1, h2, L, P, F, X};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        hap_stream_free(all[i]);
    CHECK(hap_server_served(s2) == 0);
    CHECK(hap_backend_served(be) == 0 && hap_backend_totpend(be) == 0);
    hap_backend_free(be);
}

/* The read accessors. */
static void accessors(void)
{
    hap_backend *be = load("backend be\n    fullconn 100\n"
                           "    server alpha 127.0.0.1:80 maxconn 10 minconn 2 maxqueue 7 weight 3\n"
                           "    server b 127.0.0.1:81\n");
    if (!be)
        return;
    hap_server *a = hap_backend_server_at(be, 0), *b = hap_backend_server_at(be, 1);
    CHECK(a == hap_backend_server(be, "alpha") && b == hap_backend_server(be, "b"));
    CHECK(hap_server_maxconn(a) == 10 && hap_server_minconn(a) == 2);
    CHECK(hap_server_maxqueue(a) == 7 && hap_server_weight(a) == 3);
    CHECK(hap_server_dyn_maxconn(a) == 2); /* no stream attached: minconn */
    CHECK(hap_server_maxconn(b) == 0 && hap_server_dyn_maxconn(b) == UINT32_MAX);
    CHECK(hap_server_weight(b) == 1);
    /* fullconn: 50 streams attached -> 10 * 50 / 100 = 5 */
    hap_stream *s[50];
    for (int i = 0; i < 50; i++)
        s[i] = stream(be, 0, 0);
    CHECK(hap_server_dyn_maxconn(a) == 5);
    for (int i = 0; i < 50; i++)
        hap_stream_free(s[i]);
    CHECK(hap_server_set_weight(a, 0) == HAP_OK && hap_server_weight(a) == 0);
    CHECK(hap_server_set_maxconn(a, 4) == HAP_OK && hap_server_maxconn(a) == 4);
    char buf[4];
    size_t n = 0;
    memset(buf, 'x', sizeof(buf));
    CHECK(hap_server_name(a, buf, sizeof(buf), &n) == HAP_OK && n == 5);
    CHECK(strcmp(buf, "alp") == 0); /* truncated, terminated */
    n = 0;
    CHECK(hap_server_name(a, NULL, 0, &n) == HAP_OK && n == 5);
    CHECK(hap_server_name(b, buf, sizeof(buf), NULL) == HAP_OK && strcmp(buf, "b") == 0);
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
    /* the functions added with slowstart, deletion and the persistence flags */
    hap_server_state st = HAP_SERVER_UP;
    size_t n = 7;
    char nb[4];
    CHECK(hap_backend_tick(NULL, 0) == 0);
    CHECK(hap_backend_server_count(NULL) == 0 && hap_backend_server_at(NULL, 0) == NULL);
    CHECK(hap_server_set_state_at(NULL, HAP_SERVER_STARTING, 0) == HAP_ERR_NULL);
    CHECK(hap_server_get_state(NULL, &st) == HAP_ERR_NULL);
    CHECK(hap_server_set_maxqueue(NULL, 1) == HAP_ERR_NULL);
    CHECK(hap_server_delete(NULL) == HAP_ERR_NULL);
    CHECK(!hap_server_is_deleted(NULL));
    CHECK(hap_server_maxconn(NULL) == 0 && hap_server_minconn(NULL) == 0 &&
          hap_server_maxqueue(NULL) == 0 && hap_server_weight(NULL) == 0 &&
          hap_server_dyn_maxconn(NULL) == 0);
    CHECK(hap_server_name(NULL, nb, sizeof(nb), &n) == HAP_ERR_NULL && n == 7);
    CHECK(hap_stream_set_server_ex(NULL, NULL, 0) == HAP_ERR_NULL);

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
    hap_server *a1 = hap_backend_server(b1, "a");
    CHECK(hap_server_get_state(a1, NULL) == HAP_ERR_NULL);
    CHECK(hap_server_name(a1, NULL, 4, NULL) == HAP_ERR_NULL);
    CHECK(hap_stream_new(b1, &s) == HAP_OK);
    CHECK(hap_stream_set_server_ex(s, NULL, HAP_PERSIST_FORCE) == HAP_ERR_NULL);
    CHECK(hap_stream_set_server_ex(s, hap_backend_server(b2, "a"), 0) == HAP_ERR_INVALID);
    CHECK(hap_stream_assign(s, 0, NULL) == HAP_OK);
    CHECK(hap_stream_set_server_ex(s, a1, HAP_PERSIST_FORCE) == HAP_ERR_STATE);
    hap_stream_free(s);
    hap_backend_free(b1);
    hap_backend_free(b2);
}

int main(void)
{
    d1();
    d2();
    d3();
    d4();
    d5();
    d6();
    d6_setter_and_flags();
    force_persist_down();
    d7();
    d8();
    d13();
    d12();
    d10();
    deletion();
    accessors();
    hash_key();
    bad_input();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("queue_basic: all checks passed\n");
    return 0;
}
