//! `cpu-map`: which CPUs each worker thread may run on, applied by the thread itself when
//! it starts (`sched_setaffinity(0, …)` acts on the calling thread).

use crate::model::global::CpuMap;

/// The CPUs of threads 1..=`nbthread` (`None`: not mapped). HAProxy 2.6 has one process:
/// a line naming threads (`1/1-4`) maps those threads, with `auto:` the n-th thread of the
/// set to the n-th CPU; a line naming only the process (`1`, `auto:1-4`) maps every
/// thread (with `auto:`, process 1 takes the first CPU). A thread's own mapping is kept
/// within the process's when both exist and they meet.
pub fn thread_cpus(maps: &[CpuMap], nbthread: usize) -> Vec<Option<Vec<u32>>> {
    let mut process: Option<Vec<u32>> = None;
    let mut threads: Vec<Option<Vec<u32>>> = vec![None; nbthread];
    for m in maps.iter().filter(|m| m.procs & 1 != 0) {
        if m.threads == 0 {
            process = Some(if m.auto {
                m.cpus.iter().take(1).copied().collect()
            } else {
                m.cpus.clone()
            });
            continue;
        }
        let mut nth = 0;
        for (t, slot) in threads.iter_mut().enumerate() {
            if m.threads & (1u64 << t) == 0 {
                continue;
            }
            *slot = Some(if m.auto {
                m.cpus.get(nth).copied().into_iter().collect()
            } else {
                m.cpus.clone()
            });
            nth += 1;
        }
    }
    threads
        .into_iter()
        .map(|t| match (t, &process) {
            (Some(t), Some(p)) => {
                let both: Vec<u32> = t.iter().filter(|c| p.contains(c)).copied().collect();
                Some(if both.is_empty() { t } else { both })
            }
            (t, p) => t.or_else(|| p.clone()),
        })
        .collect()
}

/// Restricts the calling thread to `cpus` (errors ignored: HAProxy does not check either).
pub fn bind_current_thread(cpus: &[u32]) {
    // SAFETY: a zeroed cpu_set_t filled with the libc macros, passed with its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c as usize, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(auto: bool, procs: u64, threads: u64, cpus: &[u32]) -> CpuMap {
        CpuMap {
            auto,
            procs,
            threads,
            cpus: cpus.to_vec(),
        }
    }

    #[test]
    fn auto_spreads_threads_and_plain_maps_them_all() {
        // cpu-map auto:1/1-4 0-3
        assert_eq!(
            thread_cpus(&[m(true, 1, 0b1111, &[0, 1, 2, 3])], 4),
            [Some(vec![0]), Some(vec![1]), Some(vec![2]), Some(vec![3])]
        );
        // cpu-map 1/all 0-1
        assert_eq!(
            thread_cpus(&[m(false, 1, !0, &[0, 1])], 2),
            [Some(vec![0, 1]), Some(vec![0, 1])]
        );
        // cpu-map 1 2-3 (the process), then cpu-map 1/2 3
        assert_eq!(
            thread_cpus(&[m(false, 1, 0, &[2, 3]), m(false, 1, 0b10, &[3])], 3),
            [Some(vec![2, 3]), Some(vec![3]), Some(vec![2, 3])]
        );
        // cpu-map auto:1-4 0-3: the only process takes the first CPU.
        assert_eq!(
            thread_cpus(&[m(true, 0b1111, 0, &[0, 1, 2, 3])], 1),
            [Some(vec![0])]
        );
        // Another process's line does not apply.
        assert_eq!(thread_cpus(&[m(false, 0b10, 1, &[1])], 1), [None]);
    }
}
