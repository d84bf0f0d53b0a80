//! Devanagari text hygiene: every text the pipeline returns passes through [`normalize`].
//!
//! Rules (documented in `docs/DOCUMENTS.md`):
//! - Unicode NFC. Note that NFC *decomposes* the precomposed nukta letters U+0958..U+095F (क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़)
//!   into consonant + U+093C NUKTA, because they are composition exclusions; so one spelling is used throughout.
//! - Text is written as printed ([`TextStyle::AsPrinted`], the default): the page's own spacing around `।` and
//!   `॥` is kept (`शब्द ।`, `॥ १२ ॥` as set), visarga, avagraha `ऽ` and the abbreviation sign `॰` as read.
//!   [`TextStyle::AttachedDanda`] writes the modern Hindi convention instead: a space before a danda is removed.
//! - Danda: an ASCII `|` or `।` doubled (`||`, `।।`, `।|`) becomes the double danda `॥` (U+0965); a single ASCII `|`
//!   between Devanagari text becomes `।` (U+0964).
//! - Visarga: an ASCII colon right after a Devanagari letter or sign is the visarga `ः` (U+0903): the two look
//!   alike in print, and Devanagari text sets a colon apart from the word far less often than it prints a
//!   visarga (a colon after a digit, a Latin letter or a space stays a colon).
//! - Digits: Devanagari (०-९) and ASCII (0-9) digits are kept as read; [`to_ascii_digits`] converts when wanted.
//! - ZWJ (U+200D) and ZWNJ (U+200C) are kept only between two Devanagari letters/signs, where they select a
//!   half form or block a conjunct; anywhere else (edges of words, next to spaces) they are removed.
//! - Whitespace runs become one space; leading/trailing whitespace is trimmed (line texts have no newlines).

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::Error;

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const DANDA: char = '\u{0964}';
const DOUBLE_DANDA: char = '\u{0965}';
const VISARGA: char = '\u{0903}';

/// True for characters of the Devanagari block (U+0900..U+097F) and Devanagari Extended (U+A8E0..U+A8FF).
pub fn is_devanagari(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{097F}' | '\u{A8E0}'..='\u{A8FF}')
}

/// How recognised text is written (see the module docs for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextStyle {
    /// As printed: the page's own spacing around `।` and `॥` is kept. The default.
    #[default]
    AsPrinted,
    /// The modern Hindi convention: a danda follows the word with no space (`राम गया ।` -> `राम गया।`).
    AttachedDanda,
}

impl TextStyle {
    /// The names used by the CLI, the HTTP API and Python (`as-printed`, `attached-danda`).
    pub fn as_str(self) -> &'static str {
        match self {
            TextStyle::AsPrinted => "as-printed",
            TextStyle::AttachedDanda => "attached-danda",
        }
    }
}

impl FromStr for TextStyle {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "as-printed" => Ok(TextStyle::AsPrinted),
            "attached-danda" => Ok(TextStyle::AttachedDanda),
            other => {
                Err(Error::InvalidParams(format!("text style must be as-printed or attached-danda, got {other:?}")))
            }
        }
    }
}

/// Normalise one line of recognised text as printed ([`TextStyle::AsPrinted`]).
pub fn normalize(text: &str) -> String {
    normalize_with(text, TextStyle::AsPrinted)
}

/// Normalise one line of recognised text in the given style (see the module docs for the rules).
pub fn normalize_with(text: &str, style: TextStyle) -> String {
    let attach = style == TextStyle::AttachedDanda;
    // As printed, the space before a danda stays; attached, it goes.
    let before_danda = |out: &mut Vec<char>| {
        if attach {
            trim_space_before(out)
        }
    };
    let nfc: Vec<char> = text.nfc().collect();
    let mut out: Vec<char> = Vec::with_capacity(nfc.len());
    let mut i = 0;
    while i < nfc.len() {
        let c = nfc[i];
        match c {
            ZWJ | ZWNJ => {
                let prev_ok = out.last().is_some_and(|&p| is_devanagari(p));
                let next_ok = nfc.get(i + 1).is_some_and(|&n| is_devanagari(n));
                if prev_ok && next_ok {
                    out.push(c);
                }
            }
            '|' | DANDA => {
                let next = nfc.get(i + 1).copied();
                let is_ascii_bar = c == '|';
                if matches!(next, Some('|') | Some(DANDA)) {
                    before_danda(&mut out);
                    out.push(DOUBLE_DANDA);
                    i += 1;
                } else if !is_ascii_bar || near_devanagari(&out, nfc.get(i + 1..).unwrap_or(&[])) {
                    before_danda(&mut out);
                    out.push(DANDA);
                } else {
                    out.push(c);
                }
            }
            DOUBLE_DANDA => {
                before_danda(&mut out);
                out.push(c);
            }
            ':' if out.last().is_some_and(|&p| is_letter_or_sign(p)) => out.push(VISARGA),
            c if c.is_whitespace() => {
                if out.last().is_some_and(|&p| p != ' ') {
                    out.push(' ');
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    while out.last() == Some(&' ') {
        out.pop();
    }
    out.into_iter().collect()
}

/// A Devanagari letter, vowel sign or other sign (not a digit, danda or abbreviation sign).
fn is_letter_or_sign(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{0963}' | '\u{0971}'..='\u{097F}')
}

/// Remove a space right before a danda, but only when that space follows Devanagari (so `a |` stays).
fn trim_space_before(out: &mut Vec<char>) {
    if out.last() == Some(&' ') && out.len() >= 2 && is_devanagari(out[out.len() - 2]) {
        out.pop();
    }
}

/// An ASCII bar counts as a danda when the nearest non-space character before it is Devanagari, or (at the
/// start) the next one is.
fn near_devanagari(before: &[char], after: &[char]) -> bool {
    match before.iter().rev().find(|c| **c != ' ') {
        Some(&p) => is_devanagari(p),
        None => after.iter().find(|c| **c != ' ').is_some_and(|&n| is_devanagari(n)),
    }
}

/// Convert Devanagari digits (०-९) to ASCII digits; other characters unchanged.
pub fn to_ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{0966}'..='\u{096F}' => char::from(b'0' + (c as u32 - 0x0966) as u8),
            _ => c,
        })
        .collect()
}

/// Split text into words on whitespace (the unit that [`crate::Word`] boxes carry).
pub fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_decomposes_precomposed_nukta() {
        // U+0958 QA is a composition exclusion: NFC gives KA + NUKTA.
        assert_eq!(normalize("\u{0958}"), "\u{0915}\u{093C}");
        assert_eq!(normalize("\u{0915}\u{093C}"), "\u{0915}\u{093C}");
    }

    #[test]
    fn dandas_as_printed() {
        assert_eq!(normalize("राम गया ।"), "राम गया ।");
        assert_eq!(normalize("राम गया।"), "राम गया।");
        assert_eq!(normalize("कुरु ॥ १२ ॥"), "कुरु ॥ १२ ॥");
        assert_eq!(normalize("राम गया||"), "राम गया॥");
        assert_eq!(normalize("राम गया ।।"), "राम गया ॥");
        assert_eq!(normalize("राम | गया"), "राम । गया");
        assert_eq!(normalize("a | b"), "a | b");
    }

    #[test]
    fn dandas_attached() {
        let n = |t| normalize_with(t, TextStyle::AttachedDanda);
        assert_eq!(n("राम गया ।"), "राम गया।");
        assert_eq!(n("राम गया||"), "राम गया॥");
        assert_eq!(n("राम गया।।"), "राम गया॥");
        assert_eq!(n("राम | गया"), "राम। गया");
        assert_eq!(n("कुरु ॥ १२ ॥"), "कुरु॥ १२॥");
        assert_eq!(n("a | b"), "a | b");
    }

    #[test]
    fn visarga_avagraha_abbreviation_kept() {
        for style in [TextStyle::AsPrinted, TextStyle::AttachedDanda] {
            assert_eq!(normalize_with("रामः सोऽहम् डॉ॰", style), "रामः सोऽहम् डॉ॰");
            // A colon read after a Devanagari letter is the visarga; elsewhere it stays a colon.
            assert_eq!(normalize_with("राम: हरे:", style), "रामः हरेः");
            assert_eq!(normalize_with("समय 10:30, नोट :", style), "समय 10:30, नोट :");
        }
    }

    #[test]
    fn style_names() {
        for style in [TextStyle::AsPrinted, TextStyle::AttachedDanda] {
            assert_eq!(style.as_str().parse::<TextStyle>().unwrap(), style);
        }
        assert!("modern".parse::<TextStyle>().is_err());
    }

    #[test]
    fn joiners_kept_only_inside_devanagari() {
        assert_eq!(normalize("क्\u{200D}ष"), "क्\u{200D}ष");
        assert_eq!(normalize("\u{200C}राम\u{200D} "), "राम");
    }

    #[test]
    fn whitespace_and_digits() {
        assert_eq!(normalize("  एक \t दो\n"), "एक दो");
        assert_eq!(to_ascii_digits("वर्ष २००४-०५"), "वर्ष 2004-05");
    }
}
