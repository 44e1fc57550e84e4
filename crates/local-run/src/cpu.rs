//! CPU time from /proc, for the benchmark: a function's process (every thread, also ones that
//! have ended) and the bench's own measuring thread.

use std::collections::BTreeMap;
use std::time::Duration;

/// Linux reports `utime` and `stime` in clock ticks of `USER_HZ`, 100 on every architecture
/// Lambda runs (`sysconf(_SC_CLK_TCK)`); the kernel's own HZ does not change it.
const TICKS_PER_SECOND: u64 = 100;

/// User + system CPU of process `pid` so far, all its threads included (10 ms resolution).
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields start after its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the name: state is field 3 of stat(5), so utime (14) and stime (15) are at 11 and 12.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1_000 / TICKS_PER_SECOND))
}

/// CPU of the living threads of `pid` (schedstat, nanoseconds), for short spans such as init.
pub fn live_threads_cpu(pid: u32) -> Option<Duration> {
    threads_cpu(pid).map(|threads| Duration::from_nanos(threads.values().sum()))
}

/// CPU of each living thread of `pid` so far, by thread id, in nanoseconds (schedstat).
pub fn threads_cpu(pid: u32) -> Option<BTreeMap<u32, u64>> {
    let mut threads = BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|name| name.parse().ok()) else { continue };
        threads.insert(tid, schedstat(&task.path().join("schedstat")).unwrap_or(0));
    }
    Some(threads)
}

/// The CPU spent between two readings of `threads_cpu`; None when a thread of the first has
/// ended by the second, since what it spent in between is lost with it.
pub fn cpu_between(before: &BTreeMap<u32, u64>, after: &BTreeMap<u32, u64>) -> Option<Duration> {
    let mut spent = 0u64;
    for (tid, now) in after {
        spent += now.saturating_sub(before.get(tid).copied().unwrap_or(0));
    }
    before.keys().all(|tid| after.contains_key(tid)).then_some(Duration::from_nanos(spent))
}

/// CPU of the calling thread so far (nanoseconds).
pub fn this_thread_cpu() -> Option<Duration> {
    schedstat(std::path::Path::new("/proc/thread-self/schedstat")).map(Duration::from_nanos)
}

fn schedstat(path: &std::path::Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.split_whitespace().next()?.parse().ok()
}

/// Lambda gives a function CPU in proportion to its memory, one full vCPU at 1,769 MB
/// (Lambda Developer Guide, "Configure Lambda function memory").
pub const FULL_VCPU_MB: f64 = 1_769.0;

/// The caller's wait at `memory_mb`: what was not CPU stays, the CPU stretches by the share.
pub fn projected_wait(wall: Duration, cpu: Duration, memory_mb: u32) -> Duration {
    let share = (f64::from(memory_mb) / FULL_VCPU_MB).min(1.0);
    wall.saturating_sub(cpu) + cpu.div_f64(share)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_and_thread_have_spent_cpu_and_the_projection_stretches_only_cpu() {
        let busy: u64 = (0..2_000_000u64).map(|n| n.wrapping_mul(n) % 7).sum();
        assert!(busy > 0);
        let pid = std::process::id();
        assert!(process_cpu(pid).is_some());
        assert!(live_threads_cpu(pid).is_some_and(|cpu| cpu > Duration::ZERO));
        assert!(this_thread_cpu().is_some_and(|cpu| cpu > Duration::ZERO));
        let (wall, cpu) = (Duration::from_millis(10), Duration::from_millis(1));
        assert_eq!(projected_wait(wall, cpu, 1_769), wall);
        let at_128 = projected_wait(wall, cpu, 128).as_secs_f64() * 1_000.0;
        assert!((at_128 - (9.0 + 1_769.0 / 128.0)).abs() < 1e-6, "{at_128}");
        assert_eq!(projected_wait(wall, cpu, 3_008), wall, "never more than one vCPU's worth");
    }

    #[test]
    fn cpu_between_readings_counts_new_threads_and_refuses_lost_ones() {
        let threads = threads_cpu(std::process::id()).unwrap();
        assert!(threads.contains_key(&std::process::id()), "{threads:?}");
        let before = BTreeMap::from([(1, 1_000), (2, 5_000)]);
        let after = BTreeMap::from([(1, 1_500), (2, 5_000), (3, 700)]);
        assert_eq!(cpu_between(&before, &after), Some(Duration::from_nanos(1_200)));
        assert_eq!(cpu_between(&after, &before), None, "thread 3 ended in between");
    }
}
