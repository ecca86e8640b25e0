/* C-side multi-threaded test of server deletion under load (S6 of queue-tests.md, on top
 * of S5's churn): 8 worker threads take slots on a backend of 6 servers (maxconn 1-2,
 * maxqueue 4, option redispatch), 30% of the streams persisted to a random server with
 * random hap_persist_flags; an admin thread pulses servers through DOWN / MAINT / DRAIN /
 * STARTING and back to UP, changes maxconn, ticks the clock, and deletes servers s1..s5
 * one after the other while streams wait on them. Server s0 is never deleted.
 * Checks: no stream stranded (watchdog), no slot granted on a server whose deletion had
 * completed before the stream asked, no server above 3 slots (the largest maxconn used),
 * every refused call on a deleted server gives HAP_ERR_STATE, redispatched streams find a
 * server again, every counter back to 0 at the end (deleted servers included).
 * Environment: HAP_STRESS_OPS (default 20000), HAP_STRESS_WATCHDOG_MS (default 5000).
 * Built and run by tests/ffi.rs (also under valgrind, with fewer ops). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haproxy_rs.h"

#define NTHREADS 8
#define NSRV 6
#define MAXCONN_CAP 3

static hap_backend *be;
static hap_server *srv[NSRV];
static atomic_uint deleted_mask; /* bit k: hap_server_delete(srv[k]) has returned */
static _Atomic(hap_stream *) cur[NTHREADS];
static atomic_int woken[NTHREADS];
static atomic_long ops_done, queued_total, redispatched, nosrv, full, aborted, stranded,
    overshoot, on_deleted, errors;
static atomic_int workers_left;
static long ops_per_thread;
static uint64_t watchdog_ms;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_wakeup(void *user, hap_stream *s)
{
    (void)user;
    for (int t = 0; t < NTHREADS; t++)
        if (atomic_load(&cur[t]) == s)
            atomic_store(&woken[t], 1);
}

static uint32_t rnd(uint32_t *st)
{
    uint32_t x = *st;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *st = x;
}

static int index_of(const hap_server *sv)
{
    for (int k = 0; k < NSRV; k++)
        if (srv[k] == sv)
            return k;
    return -1;
}

static void error(const char *what, int t)
{
    fprintf(stderr, "thread %d: %s\n", t, what);
    atomic_fetch_add(&errors, 1);
}

/* The stream holds a slot on `got`; `mask` is deleted_mask read before it asked. */
static void hold(int t, uint32_t *st, hap_server *got, unsigned mask)
{
    int k = index_of(got);
    if (k < 0) {
        error("slot on an unknown server", t);
        return;
    }
    if (mask & (1u << k))
        atomic_fetch_add(&on_deleted, 1);
    if (hap_server_served(got) > MAXCONN_CAP)
        atomic_fetch_add(&overshoot, 1);
    volatile unsigned spin = 0;
    unsigned n = rnd(st) % 2000;
    for (unsigned i = 0; i < n; i++)
        spin++;
    if (rnd(st) % 4 == 0)
        sched_yield();
}

static const uint32_t flag_choice[4] = {HAP_PERSIST_NONE, HAP_PERSIST_DIRECT, HAP_PERSIST_FORCE,
                                        HAP_PERSIST_DIRECT | HAP_PERSIST_FORCE};

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint32_t st = 0x9e3779b9u * (uint32_t)(t + 1);
    for (long i = 0; i < ops_per_thread; i++, atomic_fetch_add(&ops_done, 1)) {
        hap_stream *s = NULL;
        if (hap_stream_new(be, &s) != HAP_OK) {
            error("hap_stream_new", t);
            break;
        }
        hap_stream_set_priority(s, (int32_t)(rnd(&st) % 3) - 1, (int32_t)(rnd(&st) % 100) - 50);
        atomic_store(&woken[t], 0);
        atomic_store(&cur[t], s);
        if (rnd(&st) % 10 < 3) {
            int k = (int)(rnd(&st) % NSRV);
            unsigned before = atomic_load(&deleted_mask);
            hap_result r = hap_stream_set_server_ex(s, srv[k], flag_choice[rnd(&st) % 4]);
            if (r == HAP_ERR_STATE) {
                if (!(atomic_load(&deleted_mask) & (1u << k)) && !hap_server_is_deleted(srv[k]))
                    error("set_server_ex: HAP_ERR_STATE on a live server", t);
            } else if (r != HAP_OK) {
                error("set_server_ex", t);
            } else if (before & (1u << k)) {
                error("set_server_ex accepted a deleted server", t);
            }
        }
        hap_server *got = NULL;
        unsigned mask = atomic_load(&deleted_mask);
        hap_result r = hap_stream_assign(s, now_ms(), &got);
        uint64_t deadline = now_ms() + watchdog_ms;
        int done = 0;
        while (!done) {
            switch (r) {
            case HAP_OK:
                hold(t, &st, got, mask);
                if (hap_stream_release(s) != HAP_OK)
                    error("release", t);
                done = 1;
                break;
            case HAP_NOSRV:
                atomic_fetch_add(&nosrv, 1);
                done = 1;
                break;
            case HAP_FULL:
                atomic_fetch_add(&full, 1);
                done = 1;
                break;
            case HAP_QUEUED:
                atomic_fetch_add(&queued_total, 1);
                if (rnd(&st) % 16 == 0) {
                    if (hap_stream_abort(s) != HAP_OK)
                        error("abort", t);
                    atomic_fetch_add(&aborted, 1);
                    done = 1;
                    break;
                }
                for (;;) {
                    if (atomic_exchange(&woken[t], 0)) {
                        hap_stream_state ss = hap_stream_get_state(s, &got);
                        if (ss == HAP_STREAM_ASSIGNED) {
                            r = HAP_OK;
                            break;
                        }
                        if (ss == HAP_STREAM_REDISPATCHED) {
                            atomic_fetch_add(&redispatched, 1);
                            mask = atomic_load(&deleted_mask);
                            r = hap_stream_assign(s, now_ms(), &got);
                            deadline = now_ms() + watchdog_ms;
                            break;
                        }
                        if (ss != HAP_STREAM_QUEUED) {
                            error("unexpected state while queued", t);
                            r = HAP_ERR_STATE;
                            break;
                        }
                    }
                    if (now_ms() > deadline) {
                        fprintf(stderr, "thread %d: stream stranded (state %d, totpend %u)\n", t,
                                (int)hap_stream_get_state(s, NULL), hap_backend_totpend(be));
                        atomic_fetch_add(&stranded, 1);
                        r = HAP_ERR_STATE;
                        break;
                    }
                    sched_yield();
                }
                break;
            default:
                error("assign", t);
                done = 1;
                break;
            }
        }
        atomic_store(&cur[t], NULL);
        hap_stream_free(s);
    }
    atomic_fetch_sub(&workers_left, 1);
    return NULL;
}

static void pause_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

static void check_refused(int k)
{
    hap_server *sv = srv[k];
    hap_server_state st;
    if (hap_server_delete(sv) != HAP_ERR_STATE || hap_server_set_maxconn(sv, 1) != HAP_ERR_STATE ||
        hap_server_set_state_at(sv, HAP_SERVER_UP, now_ms()) != HAP_ERR_STATE ||
        hap_server_set_maxqueue(sv, 1) != HAP_ERR_STATE ||
        hap_server_get_state(sv, &st) != HAP_ERR_STATE || !hap_server_is_deleted(sv))
        error("a deleted server accepted a change", -1);
}

static void *admin(void *arg)
{
    (void)arg;
    uint32_t st = 0x12345u;
    long total = ops_per_thread * NTHREADS;
    int next_delete = 1;
    static const hap_server_state pulse[4] = {HAP_SERVER_DOWN, HAP_SERVER_MAINT, HAP_SERVER_DRAIN,
                                              HAP_SERVER_STARTING};
    while (atomic_load(&workers_left) > 0) {
        /* delete s1..s5 spread over the run */
        if (next_delete < NSRV && atomic_load(&ops_done) >= next_delete * total / (NSRV + 1)) {
            if (hap_server_delete(srv[next_delete]) != HAP_OK)
                error("delete", -1);
            atomic_fetch_or(&deleted_mask, 1u << next_delete);
            check_refused(next_delete);
            next_delete++;
        }
        int k = (int)(rnd(&st) % NSRV);
        unsigned mask = atomic_load(&deleted_mask);
        if (!(mask & (1u << k))) {
            switch (rnd(&st) % 3) {
            case 0: /* a state pulse: at most a few ms away from UP */
                if (hap_server_set_state_at(srv[k], pulse[rnd(&st) % 4], now_ms()) != HAP_OK)
                    error("set_state_at", -1);
                pause_us(200 + rnd(&st) % 1000);
                if (hap_server_set_state_at(srv[k], HAP_SERVER_UP, now_ms()) != HAP_OK)
                    error("set_state_at up", -1);
                break;
            case 1:
                if (hap_server_set_maxconn(srv[k], 1 + rnd(&st) % MAXCONN_CAP) != HAP_OK)
                    error("set_maxconn", -1);
                break;
            default:
                hap_backend_tick(be, now_ms());
                break;
            }
        }
        pause_us(100 + rnd(&st) % 500);
    }
    return NULL;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? atol(v) : dflt;
}

int main(void)
{
    static const char cfg[] = "backend be\n"
                              "    balance roundrobin\n"
                              "    option redispatch\n"
                              "    server s0 127.0.0.1:80 maxconn 1 maxqueue 4\n"
                              "    server s1 127.0.0.1:81 maxconn 2 maxqueue 4\n"
                              "    server s2 127.0.0.1:82 maxconn 1 maxqueue 4\n"
                              "    server s3 127.0.0.1:83 maxconn 2 maxqueue 4\n"
                              "    server s4 127.0.0.1:84 maxconn 1 maxqueue 4\n"
                              "    server s5 127.0.0.1:85 maxconn 2 maxqueue 4\n";
    char err[256];
    long ops = env_long("HAP_STRESS_OPS", 20000);
    ops_per_thread = ops / NTHREADS;
    watchdog_ms = (uint64_t)env_long("HAP_STRESS_WATCHDOG_MS", 5000);
    if (hap_backend_from_config(cfg, strlen(cfg), "be", &be, err, sizeof(err)) != HAP_OK) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    if (hap_backend_server_count(be) != NSRV)
        return 1;
    for (int k = 0; k < NSRV; k++)
        srv[k] = hap_backend_server_at(be, (size_t)k);
    hap_backend_set_wakeup(be, on_wakeup, NULL);

    atomic_store(&workers_left, NTHREADS);
    pthread_t th[NTHREADS], adm;
    for (int t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    pthread_create(&adm, NULL, admin, NULL);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    pthread_join(adm, NULL);

    int fail = atomic_load(&stranded) || atomic_load(&overshoot) || atomic_load(&on_deleted) ||
               atomic_load(&errors);
    unsigned mask = atomic_load(&deleted_mask);
    for (int k = 0; k < NSRV; k++) {
        char name[8];
        hap_server_name(srv[k], name, sizeof(name), NULL);
        int del = hap_server_is_deleted(srv[k]);
        if (del != !!(mask & (1u << k)) || (hap_backend_server(be, name) == NULL) != del) {
            fprintf(stderr, "%s: deleted flag or lookup wrong\n", name);
            fail = 1;
        }
        if (hap_server_served(srv[k]) || hap_server_queued(srv[k])) {
            fprintf(stderr, "%s: served %u queued %u at the end\n", name,
                    hap_server_served(srv[k]), hap_server_queued(srv[k]));
            fail = 1;
        }
    }
    if (hap_backend_served(be) || hap_backend_totpend(be) || hap_backend_queued(be)) {
        fprintf(stderr, "counters not back to zero: served %u totpend %u queued %u\n",
                hap_backend_served(be), hap_backend_totpend(be), hap_backend_queued(be));
        fail = 1;
    }
    /* what is left still serves: s0 (and any server not deleted) takes a new stream */
    hap_stream *s = NULL;
    hap_server *got = NULL;
    hap_server_set_state_at(srv[0], HAP_SERVER_UP, now_ms());
    hap_backend_tick(be, now_ms() + 100000);
    if (hap_stream_new(be, &s) != HAP_OK || hap_stream_assign(s, now_ms(), &got) != HAP_OK ||
        index_of(got) < 0 || (mask & (1u << index_of(got)))) {
        fprintf(stderr, "no live server takes a stream at the end\n");
        fail = 1;
    }
    hap_stream_free(s);
    printf("queue_delete_stress: %ld ops, %ld queued, %ld redispatched, %ld aborted, %ld nosrv, "
           "%ld full, deleted mask %#x, %ld stranded, %ld overshoot, %ld on deleted, %ld errors\n",
           ops_per_thread * NTHREADS, atomic_load(&queued_total), atomic_load(&redispatched),
           atomic_load(&aborted), atomic_load(&nosrv), atomic_load(&full), mask,
           atomic_load(&stranded), atomic_load(&overshoot), atomic_load(&on_deleted),
           atomic_load(&errors));
    hap_backend_free(be);
    return fail;
}
