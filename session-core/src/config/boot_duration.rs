//! Spring Boot's duration syntax, for its session-timeout aliases
//! (`spring.session.timeout`, `server.servlet.session.timeout`): a number of
//! seconds (`1800`), a number with a unit (`30m`, `1800s`, `2h`, `500ms`), or
//! ISO-8601 (`PT30M`, `P1DT2H`), as Boot's `DurationStyle` reads them with
//! seconds as the default unit.

use std::time::Duration;

/// The duration `text` means, or `None` when Boot would reject it. Negative
/// durations are rejected: Boot's session timeout has no "never".
pub(crate) fn parse_boot_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.starts_with(['P', 'p']) {
        return parse_iso8601(&text[1..]);
    }
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let nanos_per_unit: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "s" => 1_000_000_000,
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    };
    let nanos = u128::from(number) * u128::from(nanos_per_unit);
    let seconds = u64::try_from(nanos / 1_000_000_000).ok()?;
    let subsec = u32::try_from(nanos % 1_000_000_000).ok()?;
    Some(Duration::new(seconds, subsec))
}

/// `nDTnHnMnS` after the `P` (days, then a `T` before hours, minutes and
/// whole seconds), as Java's `Duration.parse` reads the common cases.
fn parse_iso8601(rest: &str) -> Option<Duration> {
    let (days, time) = match rest.split_once(['T', 't']) {
        Some((days, time)) => (days, Some(time)),
        None => (rest, None),
    };
    let mut seconds: u64 = 0;
    if !days.is_empty() {
        let count: u64 = days.strip_suffix(['D', 'd'])?.parse().ok()?;
        seconds = seconds.checked_add(count.checked_mul(86_400)?)?;
    }
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        let mut number = String::new();
        for c in time.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let count: u64 = number.parse().ok()?;
            number.clear();
            let unit = match c.to_ascii_uppercase() {
                'H' => 3_600,
                'M' => 60,
                'S' => 1,
                _ => return None,
            };
            seconds = seconds.checked_add(count.checked_mul(unit)?)?;
        }
        if !number.is_empty() {
            return None;
        }
    } else if days.is_empty() {
        return None;
    }
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boots_simple_and_iso_forms() {
        let cases = [
            ("1800", Some(Duration::from_secs(1800))),
            (" 30m ", Some(Duration::from_secs(1800))),
            ("1800s", Some(Duration::from_secs(1800))),
            ("2h", Some(Duration::from_secs(7200))),
            ("1d", Some(Duration::from_secs(86_400))),
            ("500ms", Some(Duration::from_millis(500))),
            ("PT30M", Some(Duration::from_secs(1800))),
            ("PT1H30M", Some(Duration::from_secs(5400))),
            ("P1DT2H", Some(Duration::from_secs(93_600))),
            ("P2D", Some(Duration::from_secs(172_800))),
            ("pt15s", Some(Duration::from_secs(15))),
            ("-5", None),
            ("30 minutes", None),
            ("PT", None),
            ("P", None),
            ("PT5", None),
            ("", None),
            ("5x", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_boot_duration(text), expected, "{text:?}");
        }
    }
}
