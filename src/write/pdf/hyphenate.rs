//! French hyphenation (Knuth–Liang patterns of the `hyphenation` crate, loaded from bytes: the
//! crate has no `embed_fr` feature, so its compiled dictionary is copied under `fonts/`).

use hyphenation::{Hyphenator, Language, Load, Standard};

static FRENCH: &[u8] = include_bytes!("../../../fonts/hyph-fr.standard.bincode");

pub struct Hyphenation {
    dict: Standard,
}

/// Shortest word worth hyphenating, in letters.
const MIN_WORD: usize = 6;

impl Hyphenation {
    /// The dictionary for `language` (a BCP 47 tag), when we ship one.
    pub fn for_language(language: &str) -> Option<Self> {
        let primary = language.split(['-', '_']).next().unwrap_or("");
        if !primary.eq_ignore_ascii_case("fr") {
            return None;
        }
        let mut reader = FRENCH;
        Standard::from_reader(Language::French, &mut reader)
            .ok()
            .map(|dict| Hyphenation { dict })
    }

    /// Byte offsets in `text` where a hyphen may go. Only the letters between leading and
    /// trailing punctuation are hyphenated; anything that looks like a URL, a number or an
    /// identifier is left alone.
    pub fn breaks(&self, text: &str) -> Vec<usize> {
        let is_letter = |c: char| c.is_alphabetic() || c == '’' || c == '\'';
        let Some(start) = text.find(|c: char| c.is_alphabetic()) else {
            return Vec::new();
        };
        let end = text
            .char_indices()
            .rfind(|(_, c)| c.is_alphabetic())
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(start);
        let core = &text[start..end];
        if !core.chars().all(is_letter)
            || core.chars().filter(|c| c.is_alphabetic()).count() < MIN_WORD
        {
            return Vec::new();
        }
        // After an elision (l’information), hyphenate the word proper.
        let (offset, word) = match core.rfind(['’', '\'']) {
            Some(i) => {
                let q = core[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                (start + i + q, &core[i + q..])
            }
            None => (start, core),
        };
        // Acronyms and names in camel case (GeoJSON, OpenData) are not French words.
        if word.chars().skip(1).any(char::is_uppercase) {
            return Vec::new();
        }
        let lower = word.to_lowercase();
        if lower.len() != word.len() || word.chars().count() < MIN_WORD {
            return Vec::new();
        }
        self.dict
            .hyphenate(&lower)
            .breaks
            .into_iter()
            .map(|b| offset + b)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_dictionary_loads_and_hyphenates() {
        let h = Hyphenation::for_language("fr-FR").expect("French dictionary");
        let text = "information";
        let breaks = h.breaks(text);
        assert!(!breaks.is_empty());
        let pieces: Vec<&str> = {
            let mut v = Vec::new();
            let mut last = 0;
            for b in &breaks {
                v.push(&text[last..*b]);
                last = *b;
            }
            v.push(&text[last..]);
            v
        };
        assert_eq!(pieces.concat(), text);
        assert!(pieces.contains(&"for"), "{pieces:?}");
    }

    #[test]
    fn elision_punctuation_and_short_words() {
        let h = Hyphenation::for_language("fr").expect("French dictionary");
        let text = "l’administration,";
        let breaks = h.breaks(text);
        assert!(!breaks.is_empty());
        let first_word = "l’".len();
        assert!(breaks.iter().all(|&b| b > first_word && b < text.len() - 1));
        assert!(h.breaks("data").is_empty());
        assert!(h.breaks("GeoJSON").is_empty());
        assert!(h.breaks("https://example.org/abcdefgh").is_empty());
        assert!(Hyphenation::for_language("en").is_none());
    }
}
