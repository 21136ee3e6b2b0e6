//! Hyphenation for every language the `hyphenation` crate ships (TeX's Knuth–Liang patterns,
//! all embedded with its `embed_all` feature); a book loads only the dictionaries of its
//! languages, when it lays them out.

use hyphenation::{Hyphenator, Language, Load, Standard};

pub struct Hyphenation {
    dict: Standard,
}

/// Shortest word worth hyphenating, in letters.
const MIN_WORD: usize = 6;

/// The dictionary for a BCP 47 tag: the primary language, refined by script, region or variant
/// where the crate has several (`en-GB`, `de-CH-1901`, `sr-Latn`, `el-polyton`).
fn dictionary(tag: &str) -> Option<Language> {
    use Language::*;
    let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
    let subtags: Vec<&str> = lower.split('-').collect();
    let has = |s: &str| subtags.iter().skip(1).any(|t| *t == s);
    let primary = subtags.first().copied().unwrap_or("");
    Some(match primary {
        "af" => Afrikaans,
        "sq" => Albanian,
        "hy" => Armenian,
        "as" => Assamese,
        "eu" => Basque,
        "be" => Belarusian,
        "bn" => Bengali,
        "bg" => Bulgarian,
        "ca" => Catalan,
        "zh" if has("latn") => Chinese,
        "cop" => Coptic,
        "hr" => Croatian,
        "cs" => Czech,
        "da" => Danish,
        "nl" => Dutch,
        "en" if ["gb", "uk", "au", "nz", "ie", "za", "in"]
            .iter()
            .any(|r| has(r)) =>
        {
            EnglishGB
        }
        "en" => EnglishUS,
        "eo" => Esperanto,
        "et" => Estonian,
        "am" | "ti" | "gez" => Ethiopic,
        "fi" if has("x") && has("school") => FinnishScholastic,
        "fi" => Finnish,
        "fr" => French,
        "fur" => Friulan,
        "gl" => Galician,
        "ka" => Georgian,
        "de" if has("ch") && has("1901") => GermanSwiss,
        "de" if has("1901") => German1901,
        "de" => German1996,
        "grc" => GreekAncient,
        "el" if has("polyton") => GreekPoly,
        "el" => GreekMono,
        "gu" => Gujarati,
        "hi" => Hindi,
        "hu" => Hungarian,
        "is" => Icelandic,
        "id" => Indonesian,
        "ia" => Interlingua,
        "ga" => Irish,
        "it" => Italian,
        "kn" => Kannada,
        "kmr" | "ku" => Kurmanji,
        "la" if has("classic") => LatinClassic,
        "la" if has("liturgic") => LatinLiturgical,
        "la" => Latin,
        "lv" => Latvian,
        "lt" => Lithuanian,
        "mk" => Macedonian,
        "ml" => Malayalam,
        "mr" => Marathi,
        "mn" => Mongolian,
        "nb" | "no" => NorwegianBokmal,
        "nn" => NorwegianNynorsk,
        "oc" => Occitan,
        "or" => Oriya,
        "pi" => Pali,
        "pa" => Panjabi,
        "pms" => Piedmontese,
        "pl" => Polish,
        "pt" => Portuguese,
        "ro" => Romanian,
        "rm" => Romansh,
        "ru" => Russian,
        "sa" => Sanskrit,
        "sr" if has("latn") => SerbocroatianLatin,
        "sr" => SerbianCyrillic,
        "sh" if has("cyrl") => SerbocroatianCyrillic,
        "sh" => SerbocroatianLatin,
        "cu" => SlavonicChurch,
        "sk" => Slovak,
        "sl" => Slovenian,
        "es" => Spanish,
        "sv" => Swedish,
        "ta" => Tamil,
        "te" => Telugu,
        "th" => Thai,
        "tr" => Turkish,
        "tk" => Turkmen,
        "uk" => Ukrainian,
        "hsb" => Uppersorbian,
        "cy" => Welsh,
        _ => return None,
    })
}

/// Whether text in `language` can be hyphenated; where it cannot, set it ragged-right rather
/// than justify it with wide gaps.
pub fn has_hyphenation(language: &str) -> bool {
    dictionary(language).is_some()
}

impl Hyphenation {
    /// The dictionary for `language` (a BCP 47 tag), when the crate has one.
    pub fn for_language(language: &str) -> Option<Self> {
        Standard::from_embedded(dictionary(language)?)
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
        // Acronyms and names in camel case (GeoJSON, OpenData) are not words of the language.
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
        assert!(Hyphenation::for_language("tlh").is_none());
    }

    fn pieces(h: &Hyphenation, word: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut last = 0;
        for b in h.breaks(word) {
            out.push(word[last..b].to_string());
            last = b;
        }
        out.push(word[last..].to_string());
        out
    }

    #[test]
    fn every_shipped_language_hyphenates_with_its_own_patterns() {
        let table = [
            ("en", "hyphenation"),
            ("en-GB", "hyphenation"),
            ("de-DE", "Silbentrennung"),
            ("es", "separación"),
            ("it", "sillabazione"),
            ("pt-BR", "hifenização"),
            ("nl", "woordafbreking"),
            ("pl", "przenoszenie"),
        ];
        for (language, word) in table {
            assert!(has_hyphenation(language), "{language}");
            let h = Hyphenation::for_language(language)
                .unwrap_or_else(|| panic!("no dictionary for {language}"));
            let pieces = pieces(&h, word);
            assert!(pieces.len() > 1, "{language}: {word} not hyphenated");
            assert_eq!(pieces.concat(), word);
        }
        // Different patterns, different breaks: US and British English split differently.
        let us = Hyphenation::for_language("en-US").map(|h| pieces(&h, "presentation"));
        let gb = Hyphenation::for_language("en-GB").map(|h| pieces(&h, "presentation"));
        assert_ne!(us, gb);
    }

    #[test]
    fn languages_without_patterns_are_reported() {
        for tag in ["ja", "zh", "tlh", "", "ar"] {
            assert!(!has_hyphenation(tag), "{tag}");
            assert!(Hyphenation::for_language(tag).is_none(), "{tag}");
        }
        assert!(has_hyphenation("sr-Latn"));
        assert!(has_hyphenation("de-CH-1901"));
    }
}
