/* C-side multi-threaded test of the queue API: 8 threads share a backend of 2 servers with
 * maxconn 1; each takes slots with random priorities, holds them briefly and releases them,
 * or waits for the wake-up callback when queued (sometimes aborting instead).
 * Checks: no stream stranded (every queued stream is woken and assigned within the
 * watchdog), hap_server_served never above 1, every counter back to 0 at the end.
 * Environment: HAP_STRESS_OPS (total operations, default 20000), HAP_STRESS_WATCHDOG_MS
 * (default 2000). Built and run by tests/ffi.rs (also under valgrind, with fewer ops). */
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

static hap_backend *be;
static hap_server *srv[2];
static _Atomic(hap_stream *) cur[NTHREADS]; /* each thread's current stream */
static atomic_int woken[NTHREADS];
static atomic_long wakeups, queued_total, aborted_total, stranded, overshoot, errors;
static long ops_per_thread;
static uint64_t watchdog_ms;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* May run on any thread; `s` is only compared, never dereferenced. */
static void on_wakeup(void *user, hap_stream *s)
{
    (void)user;
    atomic_fetch_add(&wakeups, 1);
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

static void sample_served(void)
{
    for (int i = 0; i < 2; i++)
        if (hap_server_served(srv[i]) > 1)
            atomic_fetch_add(&overshoot, 1);
}

static void hold(uint32_t *st)
{
    sample_served();
    volatile unsigned spin = 0;
    unsigned n = rnd(st) % 2000;
    for (unsigned i = 0; i < n; i++)
        spin++;
    if (rnd(st) % 4 == 0)
        sched_yield();
    sample_served();
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint32_t st = 0x9e3779b9u * (uint32_t)(t + 1);
    for (long i = 0; i < ops_per_thread; i++) {
        hap_stream *s = NULL;
        if (hap_stream_new(be, &s) != HAP_OK) {
            atomic_fetch_add(&errors, 1);
            return NULL;
        }
        hap_stream_set_priority(s, (int32_t)(rnd(&st) % 7) - 3, (int32_t)(rnd(&st) % 200) - 100);
        atomic_store(&woken[t], 0);
        atomic_store(&cur[t], s);
        hap_server *got = NULL;
        hap_result r = hap_stream_assign(s, now_ms(), &got);
        if (r == HAP_QUEUED) {
            atomic_fetch_add(&queued_total, 1);
            if (rnd(&st) % 16 == 0) {
                if (hap_stream_abort(s) != HAP_OK)
                    atomic_fetch_add(&errors, 1);
                atomic_fetch_add(&aborted_total, 1);
                atomic_store(&cur[t], NULL);
                hap_stream_free(s);
                continue;
            }
            uint64_t deadline = now_ms() + watchdog_ms;
            for (;;) {
                if (atomic_exchange(&woken[t], 0)) {
                    hap_stream_state ss = hap_stream_get_state(s, &got);
                    if (ss == HAP_STREAM_ASSIGNED) {
                        r = HAP_OK;
                        break;
                    }
                    if (ss != HAP_STREAM_QUEUED) {
                        atomic_fetch_add(&errors, 1);
                        break;
                    }
                }
                if (now_ms() > deadline) {
                    fprintf(stderr, "thread %d: stream stranded (state %d, served %u/%u, "
                                    "queued %u)\n",
                            t, (int)hap_stream_get_state(s, NULL), hap_server_served(srv[0]),
                            hap_server_served(srv[1]), hap_backend_totpend(be));
                    atomic_fetch_add(&stranded, 1);
                    break;
                }
                sched_yield();
            }
        }
        if (r == HAP_OK) {
            if (got != srv[0] && got != srv[1])
                atomic_fetch_add(&errors, 1);
            hold(&st);
            if (hap_stream_release(s) != HAP_OK)
                atomic_fetch_add(&errors, 1);
        } else if (r != HAP_QUEUED) {
            atomic_fetch_add(&errors, 1);
        }
        atomic_store(&cur[t], NULL);
        hap_stream_free(s);
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
                              "    server s1 127.0.0.1:80 maxconn 1\n"
                              "    server s2 127.0.0.1:81 maxconn 1\n";
    char err[256];
    long ops = env_long("HAP_STRESS_OPS", 20000);
    ops_per_thread = ops / NTHREADS;
    watchdog_ms = (uint64_t)env_long("HAP_STRESS_WATCHDOG_MS", 2000);
    if (hap_backend_from_config(cfg, strlen(cfg), "be", &be, err, sizeof(err)) != HAP_OK) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    srv[0] = hap_backend_server(be, "s1");
    srv[1] = hap_backend_server(be, "s2");
    if (!srv[0] || !srv[1])
        return 1;
    hap_backend_set_wakeup(be, on_wakeup, NULL);

    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);

    int fail = 0;
    if (atomic_load(&stranded) || atomic_load(&overshoot) || atomic_load(&errors))
        fail = 1;
    if (hap_backend_served(be) || hap_backend_totpend(be) || hap_backend_queued(be) ||
        hap_server_served(srv[0]) || hap_server_served(srv[1]) || hap_server_queued(srv[0]) ||
        hap_server_queued(srv[1])) {
        fprintf(stderr, "counters not back to zero: served %u totpend %u queued %u\n",
                hap_backend_served(be), hap_backend_totpend(be), hap_backend_queued(be));
        fail = 1;
    }
    printf("queue_stress: %ld ops, %ld queued, %ld aborted, %ld wake-ups, %ld stranded, "
           "%ld overshoot, %ld errors\n",
           ops_per_thread * NTHREADS, atomic_load(&queued_total), atomic_load(&aborted_total),
           atomic_load(&wakeups), atomic_load(&stranded), atomic_load(&overshoot),
           atomic_load(&errors));
    hap_backend_free(be);
    return fail;
}
