//! Where a function's CPU goes, by crate: reads `perf report --no-children --sort dso,sym
//! -g none --stdio` (self time per symbol) and sums it per Rust crate, the kernel and libc, so
//! `make profile` can say which crate spends a warm call's CPU (docs/cpu-profile.md).
//!
//! A symbol's crate is the first segment of its path; for `<A as B>::f` it is `A`'s crate, unless
//! `A` is a generic parameter (`<T as B>::f`), where it is `B`'s. Code inlined into a caller is
//! charged to the caller, as perf charges it.

use std::collections::HashMap;

/// Self-time share (percent of all samples) of one crate or system part.
#[derive(Debug, Clone, PartialEq)]
pub struct CrateShare {
    pub name: String,
    pub percent: f64,
}

/// Sums the report's lines by crate, largest first. Lines that are not samples are skipped.
pub fn by_crate(report: &str) -> Vec<CrateShare> {
    let mut sums: HashMap<String, f64> = HashMap::new();
    for (percent, dso, symbol) in report.lines().filter_map(sample_line) {
        *sums.entry(owner(dso, symbol)).or_default() += percent;
    }
    let mut shares: Vec<CrateShare> = sums.into_iter().map(|(name, percent)| CrateShare { name, percent }).collect();
    shares.sort_by(|a, b| b.percent.total_cmp(&a.percent).then_with(|| a.name.cmp(&b.name)));
    shares
}

/// The shares as a markdown table, the first `rows` of them and the rest summed.
pub fn markdown(shares: &[CrateShare], rows: usize) -> String {
    let mut out = String::from("| crate or part | self CPU share |\n|---|---|\n");
    for share in shares.iter().take(rows) {
        out.push_str(&format!("| {} | {:.1} % |\n", share.name, share.percent));
    }
    let rest: f64 = shares.iter().skip(rows).map(|share| share.percent).sum();
    if rest > 0.0 {
        out.push_str(&format!("| everything else | {rest:.1} % |\n"));
    }
    out
}

/// `  4.53%  last-agent-lookup  [.] aws_sigv4::sign` -> (4.53, "last-agent-lookup", "aws_sigv4::sign").
fn sample_line(line: &str) -> Option<(f64, &str, &str)> {
    let line = line.trim_start();
    let (percent, rest) = line.split_once('%')?;
    let percent: f64 = percent.parse().ok()?;
    let rest = rest.trim_start();
    let (dso, rest) = rest.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let symbol = rest.strip_prefix("[.]").or_else(|| rest.strip_prefix("[k]"))?.trim();
    Some((percent, dso, symbol))
}

fn owner(dso: &str, symbol: &str) -> String {
    if dso.starts_with("[kernel") {
        return "kernel (sockets, epoll, scheduling)".into();
    }
    if dso == "[vdso]" {
        return "vdso (clock reads)".into();
    }
    if dso.starts_with("libc") || dso.starts_with("ld-linux") {
        let allocator = ["malloc", "free", "realloc", "_int_", "consolidate", "tcache"];
        return if allocator.iter().any(|part| symbol.contains(part)) {
            "libc malloc and free".into()
        } else {
            "libc memmove, memcmp, syscalls".into()
        };
    }
    let mut path = strip_reference(symbol);
    if let Some((implementor, rest)) = path.split_once(" as ") {
        let generic = implementor.chars().next().is_some_and(char::is_uppercase) && !implementor.contains("::");
        path = if generic { strip_reference(rest) } else { implementor };
    }
    let end = path.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(path.len());
    match &path[..end] {
        "" => "unknown".into(),
        name => name.into(),
    }
}

fn strip_reference(mut path: &str) -> &str {
    loop {
        let before = path;
        for prefix in ["<", "&", "*const ", "*mut ", "mut ", "dyn ", "["] {
            path = path.strip_prefix(prefix).unwrap_or(path);
        }
        if path == before {
            return path;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
# Samples: 2K of event 'cpu-clock:pppH'
#
     4.50%  libc.so.6          [.] __memmove_avx512_unaligned_erms
     3.50%  libc.so.6          [.] _int_malloc
     2.00%  [kernel.kallsyms]  [k] _raw_spin_unlock_irqrestore
     1.25%  last-agent-lookup  [.] aws_smithy_runtime::client::orchestrator::try_attempt::{{closure}}
     0.75%  last-agent-lookup  [.] <aws_runtime::auth::sigv4::SigV4Signer as aws_smithy_runtime_api::client::auth::Sign>::sign_http_request
     0.50%  last-agent-lookup  [.] <T as tracing::instrument::Instrument>::instrument
     0.25%  last-agent-lookup  [.] <&mut serde_json::de::Deserializer<R> as serde::de::Deserializer>::deserialize_any
     0.25%  last-agent-lookup  [.] aws_smithy_runtime::client::orchestrator::try_op::{{closure}}
";

    #[test]
    fn self_time_is_summed_per_crate_and_system_part() {
        let shares = by_crate(REPORT);
        let share = |name: &str| shares.iter().find(|share| share.name == name).map(|share| share.percent);
        assert_eq!(share("libc memmove, memcmp, syscalls"), Some(4.5));
        assert_eq!(share("libc malloc and free"), Some(3.5));
        assert_eq!(share("kernel (sockets, epoll, scheduling)"), Some(2.0));
        assert_eq!(share("aws_smithy_runtime"), Some(1.5));
        // `<A as B>::f` belongs to A's crate; `<T as B>::f` (a generic A) to B's.
        assert_eq!(share("aws_runtime"), Some(0.75));
        assert_eq!(share("tracing"), Some(0.5));
        assert_eq!(share("serde_json"), Some(0.25));
        assert_eq!(shares.len(), 7, "the header lines are not samples: {shares:?}");
        assert_eq!(shares[0].name, "libc memmove, memcmp, syscalls", "largest first");
    }

    #[test]
    fn the_table_sums_what_it_leaves_out() {
        let table = markdown(&by_crate(REPORT), 2);
        assert!(table.contains("| libc memmove, memcmp, syscalls | 4.5 % |"), "{table}");
        assert!(table.contains("| libc malloc and free | 3.5 % |"), "{table}");
        assert!(table.contains("| everything else | 5.0 % |"), "{table}");
        assert!(!table.contains("aws_smithy_runtime"), "{table}");
    }
}
