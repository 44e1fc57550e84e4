//! Caller numbers. Phone numbers are personal data: they identify a caller only in E.164 form,
//! and they are never written to logs in full ([`mask`]).

use std::fmt;

/// An E.164 number: `+` and 7 to 15 digits. Anything else (withheld, `anonymous`, empty, a chat
/// contact with no endpoint) is an unknown caller.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallerNumber(String);

impl CallerNumber {
    pub fn parse(raw: &str) -> Option<CallerNumber> {
        let raw = raw.trim();
        let digits = raw.strip_prefix('+')?;
        let valid = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        valid.then(|| CallerNumber(raw.to_owned()))
    }

    /// The full number, for storage keys and API calls only; never for logs.
    pub fn as_e164(&self) -> &str {
        &self.0
    }
}

/// Debug and Display both mask, so a number cannot leak through `{:?}` or `%` in a log line.
impl fmt::Debug for CallerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallerNumber({})", mask(&self.0))
    }
}

impl fmt::Display for CallerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask(&self.0))
    }
}

/// `+81312345678` -> `+81*****5678`: the country prefix and the last four digits stay, so a
/// log line can still be matched with a caller's complaint. Short or odd input keeps less.
pub fn mask(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    let (keep_start, keep_end) = match chars.len() {
        0..=4 => (0, 0),
        5..=8 => (1, 2),
        _ => (if chars[0] == '+' { 3 } else { 2 }, 4),
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_start || i >= chars.len() - keep_end { *c } else { '*' })
        .collect()
}

/// Free text (an error message from Connect, which may quote the number it refused) with every
/// run of seven or more digits, with or without a leading `+`, masked as [`mask`] does.
pub fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits = run.bytes().filter(u8::is_ascii_digit).count();
        out.push_str(&if digits >= 7 { mask(run) } else { std::mem::take(run) });
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_e164_numbers_identify_a_caller() {
        for good in ["+81312345678", " +819012345678 ", "+1234567", "+123456789012345"] {
            assert!(CallerNumber::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "anonymous",
            "Anonymous",
            "0312345678",
            "+81 3 1234 5678",
            "+123456",
            "+1234567890123456",
            "+81-3",
            "+",
        ] {
            assert!(CallerNumber::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn masking_keeps_prefix_and_last_four_only() {
        let cases = [
            ("+81312345678", "+81*****5678"),
            ("+819012345678", "+81******5678"),
            ("0312345678", "03****5678"),
            ("+1234567", "+*****67"),
            ("1234", "****"),
            ("", ""),
        ];
        for (raw, masked) in cases {
            assert_eq!(mask(raw), masked, "{raw}");
        }
    }

    #[test]
    fn debug_and_display_never_show_the_full_number() {
        let number = CallerNumber::parse("+819012345678").unwrap();
        for shown in [format!("{number}"), format!("{number:?}")] {
            assert!(!shown.contains("9012345678"), "{shown}");
            assert!(shown.contains("5678"));
        }
        assert_eq!(number.as_e164(), "+819012345678");
    }

    #[test]
    fn numbers_inside_text_are_masked_and_short_digit_runs_kept() {
        let cases = [
            ("Outbound calls to +19005550100 are not allowed", "Outbound calls to +19*****0100 are not allowed"),
            ("destination 819012345678, code 400", "destination 81******5678, code 400"),
            ("retry in 30 s (attempt 2 of 5)", "retry in 30 s (attempt 2 of 5)"),
            ("+1+819012345678", "+1+81******5678"),
            ("", ""),
        ];
        for (raw, masked) in cases {
            assert_eq!(mask_numbers(raw), masked, "{raw}");
        }
    }
}
