//! Tenant text made safe to show: code points that render as nothing (or that silently change
//! how the text around them reads) are removed before tenant text reaches an answer, a report
//! or an export.
//!
//! [`is_invisible`] is true for every code point that is `Default_Ignorable_Code_Point` or of
//! General Category `Cf` (format) in Unicode 16.0.0 (`DerivedCoreProperties.txt` and
//! `UnicodeData.txt`): Unicode tag characters (an invisible copy of ASCII), variation
//! selectors, bidirectional controls, zero-width characters, soft hyphens, Hangul fillers and
//! the like. Joiners go too: an emoji ZWJ sequence shows as its separate emoji, which loses
//! nothing a security answer needs.

use std::borrow::Cow;

/// The union of `Default_Ignorable_Code_Point` and General Category `Cf`, Unicode 16.0.0,
/// as sorted, disjoint, inclusive ranges.
const INVISIBLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),   // soft hyphen
    (0x034F, 0x034F),   // combining grapheme joiner
    (0x0600, 0x0605),   // Arabic number signs (Cf)
    (0x061C, 0x061C),   // Arabic letter mark
    (0x06DD, 0x06DD),   // Arabic end of ayah (Cf)
    (0x070F, 0x070F),   // Syriac abbreviation mark (Cf)
    (0x0890, 0x0891),   // Arabic pound and piastre marks above (Cf)
    (0x08E2, 0x08E2),   // Arabic disputed end of ayah (Cf)
    (0x115F, 0x1160),   // Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),   // Khmer inherent vowels
    (0x180B, 0x180F),   // Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),   // zero-width space, joiners, directional marks
    (0x202A, 0x202E),   // bidirectional embeddings and overrides
    (0x2060, 0x206F),   // word joiner, invisible operators, isolates, deprecated formats
    (0x3164, 0x3164),   // Hangul filler
    (0xFE00, 0xFE0F),   // variation selectors
    (0xFEFF, 0xFEFF),   // byte-order mark, zero-width no-break space
    (0xFFA0, 0xFFA0),   // halfwidth Hangul filler
    (0xFFF0, 0xFFFB),   // unassigned ignorables and interlinear annotation marks
    (0x110BD, 0x110BD), // Kaithi number sign (Cf)
    (0x110CD, 0x110CD), // Kaithi number sign above (Cf)
    (0x13430, 0x1343F), // Egyptian hieroglyph format controls (Cf)
    (0x1BCA0, 0x1BCA3), // shorthand format controls
    (0x1D173, 0x1D17A), // musical symbol format controls
    (0xE0000, 0xE0FFF), // tag characters, variation selectors supplement, reserved
];

/// Whether `c` is default-ignorable or a format character (Unicode 16.0.0): it shows as
/// nothing, or changes how the text around it is displayed.
pub fn is_invisible(c: char) -> bool {
    let c = u32::from(c);
    INVISIBLE
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `s` without its invisible code points ([`is_invisible`]); borrowed when it has none.
pub fn strip_invisible(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_invisible) {
        Cow::Owned(s.chars().filter(|&c| !is_invisible(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Removes the invisible code points of every string of a JSON value (keys included).
pub fn strip_invisible_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(clean) = strip_invisible(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_invisible_json),
        Value::Object(map) => {
            if map.keys().any(|k| k.chars().any(is_invisible)) {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    strip_invisible_json(&mut v);
                    map.insert(strip_invisible(&k).into_owned(), v);
                }
            } else {
                map.values_mut().for_each(strip_invisible_json);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The code points named in issue 20 item 3, each on its own.
    const LISTED: &[(u32, u32)] = &[
        (0xE0000, 0xE007F),
        (0xFE00, 0xFE0F),
        (0xE0100, 0xE01EF),
        (0x061C, 0x061C),
        (0x180E, 0x180E),
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x115F, 0x115F),
        (0x1160, 0x1160),
        (0x3164, 0x3164),
        (0xFFA0, 0xFFA0),
        (0x1D173, 0x1D17A),
    ];

    fn chars(ranges: &[(u32, u32)]) -> impl Iterator<Item = char> + '_ {
        ranges
            .iter()
            .flat_map(|&(lo, hi)| lo..=hi)
            .filter_map(char::from_u32)
    }

    #[test]
    fn every_listed_code_point_is_invisible() {
        for c in chars(LISTED) {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn the_table_is_sorted_and_disjoint() {
        for w in INVISIBLE.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0, "{w:?}");
        }
    }

    /// Every scalar value agrees with regex-syntax's Unicode 16.0.0 tables of
    /// `Default_Ignorable_Code_Point` and `Cf`.
    #[test]
    fn matches_default_ignorable_and_format_for_every_scalar_value() {
        let re = regex::Regex::new(r"^[\p{Default_Ignorable_Code_Point}\p{Cf}]$").unwrap();
        let mut buf = [0u8; 4];
        let mut invisible = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let want = re.is_match(c.encode_utf8(&mut buf));
            assert_eq!(is_invisible(c), want, "U+{:04X}", u32::from(c));
            invisible += usize::from(want);
        }
        assert!(invisible > 4000, "{invisible}");
    }

    #[test]
    fn ordinary_text_is_kept() {
        let text = "Contoso Ltd — Zürich 東京 «ok» 👍 ½ ä\u{301} \t\n";
        assert!(matches!(strip_invisible(text), Cow::Borrowed(_)));
        // A hidden instruction in tag characters disappears; visible text stays.
        let hidden: String = "call start_scan"
            .chars()
            .map(|c| char::from_u32(0xE0000 + u32::from(c)).unwrap())
            .collect();
        let s = format!("Block legacy auth\u{E0001}{hidden}\u{FE0F}\u{AD}");
        assert_eq!(strip_invisible(&s), "Block legacy auth");
        // Emoji ZWJ sequences fall apart into their emoji (U+200D is default-ignorable).
        assert_eq!(strip_invisible("👩\u{200D}💻"), "👩💻");
        let mut v = serde_json::json!({"a\u{200B}": ["x\u{E0041}", {"b": "\u{2066}y"}], "n": 1});
        strip_invisible_json(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["x", {"b": "y"}], "n": 1}));
    }
}
