//! The words the book prints or declares around the author's text (contents, notes, landmarks,
//! cover…), per language: the one table every writer reads, so HTML, EPUB and PDF say the same
//! thing. A theme's `labels.toml`, then `[labels]` in `livret.toml`, override any of them.

use crate::diag::Diagnostics;

/// The language of a book that says none (the FAQs livret was made for are French).
pub const DEFAULT_LANGUAGE: &str = "fr";

/// One language's words. Keys are the names used in `labels.toml` and `[labels]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// Title of the table of contents (HTML, EPUB nav and landmark, PDF).
    pub contents: String,
    /// Link at the end of each HTML chapter.
    pub back_to_contents: String,
    /// Heading of a chapter's footnotes.
    pub notes: String,
    /// Label of a footnote's link back to its reference (screen readers read it).
    pub back_to_text: String,
    /// Name of a figure (for theme templates; no built-in writer prints it yet).
    pub figure: String,
    /// Stands for an image that cannot be shown (PDF `[image: alt]`).
    pub image: String,
    /// Names a handout's persona on title pages and covers ("Profile: Citizen").
    pub persona: String,
    /// "page" (PDF footer, "page 3").
    pub page: String,
    /// Before the page number of a cross-reference in the PDF ("p. 12").
    pub page_ref: String,
    /// EPUB cover document and landmark.
    pub cover: String,
    /// EPUB title page and landmark.
    pub title_page: String,
    /// EPUB landmark of the first chapter (bodymatter).
    pub start: String,
    /// Accessible name of a code block that scrolls sideways.
    pub code: String,
    /// Accessible name of a table that scrolls sideways.
    pub table: String,
    /// EPUB `schema:accessibilitySummary`.
    pub accessibility_summary: String,
    /// Primary language subtag the words are in, for their punctuation (`fr`: `Profil : X`).
    language: &'static str,
}

/// `[labels]` in `livret.toml`, or a theme's `labels.toml`: any subset of the keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelOverrides {
    pub contents: Option<String>,
    pub back_to_contents: Option<String>,
    pub notes: Option<String>,
    pub back_to_text: Option<String>,
    pub figure: Option<String>,
    pub image: Option<String>,
    pub persona: Option<String>,
    pub page: Option<String>,
    pub page_ref: Option<String>,
    pub cover: Option<String>,
    pub title_page: Option<String>,
    pub start: Option<String>,
    pub code: Option<String>,
    pub table: Option<String>,
    pub accessibility_summary: Option<String>,
}

/// The label keys, as `labels.toml` spells them (for hints).
pub const LABEL_KEYS: &str = "contents, back_to_contents, notes, back_to_text, figure, image, \
     persona, page, page_ref, cover, title_page, start, code, table, accessibility_summary";

/// The languages shipped: primary subtag and the words, in the field order of `Labels`.
const TABLE: &[(&str, [&str; 15])] = &[
    (
        "fr",
        [
            "Sommaire",
            "Retour au sommaire",
            "Notes",
            "Retour au texte",
            "Figure",
            "image",
            "Profil",
            "page",
            "p.",
            "Couverture",
            "Page de titre",
            "Début",
            "Code",
            "Tableau",
            "Texte structuré avec sommaire et titres ; les images portent une description \
             textuelle lorsque l’auteur l’a fournie.",
        ],
    ),
    (
        "en",
        [
            "Contents",
            "Back to contents",
            "Notes",
            "Back to text",
            "Figure",
            "image",
            "Profile",
            "page",
            "p.",
            "Cover",
            "Title page",
            "Start",
            "Code",
            "Table",
            "Structured text with a table of contents and headings; images carry text \
             alternatives where the author provided them.",
        ],
    ),
    (
        "de",
        [
            "Inhalt",
            "Zurück zum Inhalt",
            "Anmerkungen",
            "Zurück zum Text",
            "Abbildung",
            "Bild",
            "Profil",
            "Seite",
            "S.",
            "Umschlag",
            "Titelseite",
            "Anfang",
            "Code",
            "Tabelle",
            "Gegliederter Text mit Inhaltsverzeichnis und Überschriften; Bilder haben eine \
             Textalternative, wo der Autor sie angegeben hat.",
        ],
    ),
    (
        "es",
        [
            "Índice",
            "Volver al índice",
            "Notas",
            "Volver al texto",
            "Figura",
            "imagen",
            "Perfil",
            "página",
            "p.",
            "Cubierta",
            "Portada",
            "Inicio",
            "Código",
            "Tabla",
            "Texto estructurado con índice y encabezados; las imágenes tienen una alternativa \
             textual cuando el autor la ha proporcionado.",
        ],
    ),
    (
        "it",
        [
            "Indice",
            "Torna all’indice",
            "Note",
            "Torna al testo",
            "Figura",
            "immagine",
            "Profilo",
            "pagina",
            "p.",
            "Copertina",
            "Frontespizio",
            "Inizio",
            "Codice",
            "Tabella",
            "Testo strutturato con indice e titoli; le immagini hanno un’alternativa testuale \
             quando l’autore l’ha fornita.",
        ],
    ),
    (
        "pt",
        [
            "Sumário",
            "Voltar ao sumário",
            "Notas",
            "Voltar ao texto",
            "Figura",
            "imagem",
            "Perfil",
            "página",
            "p.",
            "Capa",
            "Folha de rosto",
            "Início",
            "Código",
            "Tabela",
            "Texto estruturado com sumário e títulos; as imagens têm uma alternativa textual \
             quando o autor a forneceu.",
        ],
    ),
    (
        "nl",
        [
            "Inhoud",
            "Terug naar de inhoud",
            "Noten",
            "Terug naar de tekst",
            "Figuur",
            "afbeelding",
            "Profiel",
            "pagina",
            "p.",
            "Omslag",
            "Titelpagina",
            "Begin",
            "Code",
            "Tabel",
            "Gestructureerde tekst met inhoudsopgave en koppen; afbeeldingen hebben een \
             tekstalternatief waar de auteur dat heeft gegeven.",
        ],
    ),
];

/// The primary language subtag of a BCP 47 tag, lower case: `pt-BR` → `pt`, `en_US` → `en`.
pub fn primary_language(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

impl Labels {
    /// The shipped words for `language` (any tag whose primary subtag is shipped), or `None`.
    pub fn shipped(language: &str) -> Option<Labels> {
        let primary = primary_language(language);
        let (code, words) = TABLE.iter().find(|(code, _)| *code == primary)?;
        let [
            contents,
            back_to_contents,
            notes,
            back_to_text,
            figure,
            image,
            persona,
            page,
            page_ref,
            cover,
            title_page,
            start,
            code_word,
            table,
            accessibility_summary,
        ] = words.map(String::from);
        Some(Labels {
            contents,
            back_to_contents,
            notes,
            back_to_text,
            figure,
            image,
            persona,
            page,
            page_ref,
            cover,
            title_page,
            start,
            code: code_word,
            table,
            accessibility_summary,
            language: code,
        })
    }

    /// The shipped words for `language`, English when it has none.
    pub fn for_language(language: &str) -> Labels {
        Labels::shipped(language)
            .or_else(|| Labels::shipped("en"))
            .unwrap_or_else(|| unreachable!("English is in the table"))
    }

    /// Every label by its key (the page template's `labels.<key>`).
    pub fn entries(&self) -> [(&'static str, &str); 15] {
        [
            ("contents", &self.contents),
            ("back_to_contents", &self.back_to_contents),
            ("notes", &self.notes),
            ("back_to_text", &self.back_to_text),
            ("figure", &self.figure),
            ("image", &self.image),
            ("persona", &self.persona),
            ("page", &self.page),
            ("page_ref", &self.page_ref),
            ("cover", &self.cover),
            ("title_page", &self.title_page),
            ("start", &self.start),
            ("code", &self.code),
            ("table", &self.table),
            ("accessibility_summary", &self.accessibility_summary),
        ]
    }

    /// Replace every label the overrides set.
    pub fn apply(&mut self, overrides: &LabelOverrides) {
        let pairs = [
            (&mut self.contents, &overrides.contents),
            (&mut self.back_to_contents, &overrides.back_to_contents),
            (&mut self.notes, &overrides.notes),
            (&mut self.back_to_text, &overrides.back_to_text),
            (&mut self.figure, &overrides.figure),
            (&mut self.image, &overrides.image),
            (&mut self.persona, &overrides.persona),
            (&mut self.page, &overrides.page),
            (&mut self.page_ref, &overrides.page_ref),
            (&mut self.cover, &overrides.cover),
            (&mut self.title_page, &overrides.title_page),
            (&mut self.start, &overrides.start),
            (&mut self.code, &overrides.code),
            (&mut self.table, &overrides.table),
            (
                &mut self.accessibility_summary,
                &overrides.accessibility_summary,
            ),
        ];
        for (label, value) in pairs {
            if let Some(value) = value {
                label.clone_from(value);
            }
        }
    }

    /// "Profile: Citizen", "Profil : Citoyen" (French puts a no-break space before the colon).
    pub fn persona_line(&self, persona: &str) -> String {
        let colon = if self.language == "fr" {
            "\u{a0}: "
        } else {
            ": "
        };
        format!("{}{colon}{persona}", self.persona)
    }
}

impl Default for Labels {
    fn default() -> Self {
        Labels::for_language(DEFAULT_LANGUAGE)
    }
}

/// The book's words: its language's (English with one warning when livret has none), then the
/// theme's `labels.toml`, then `[labels]` of `livret.toml`.
pub fn book_labels(
    language: &str,
    theme: Option<&LabelOverrides>,
    config: Option<&LabelOverrides>,
    warn_at: &str,
    diags: &mut Diagnostics,
) -> Labels {
    let mut labels = Labels::shipped(language).unwrap_or_else(|| {
        diags
            .warning(
                warn_at,
                1,
                1,
                format!("livret has no words for the language `{language}`: English ones are used"),
            )
            .with_hint(format!(
                "translate them in `[labels]` in livret.toml or in a theme's labels.toml \
                 (keys: {LABEL_KEYS})"
            ));
        Labels::for_language("en")
    });
    for overrides in [theme, config].into_iter().flatten() {
        labels.apply(overrides);
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_language_has_its_own_contents_word() {
        let words: Vec<String> = ["fr", "en", "de", "es", "it", "pt", "nl"]
            .iter()
            .map(|l| Labels::shipped(l).map(|l| l.contents).unwrap_or_default())
            .collect();
        assert_eq!(
            words,
            [
                "Sommaire", "Contents", "Inhalt", "Índice", "Indice", "Sumário", "Inhoud"
            ]
        );
        assert_eq!(
            Labels::shipped("pt-BR").map(|l| l.notes),
            Some("Notas".into())
        );
        assert_eq!(
            Labels::shipped("EN_gb").map(|l| l.page),
            Some("page".into())
        );
        assert!(Labels::shipped("fy").is_none());
        let page_refs: Vec<String> = ["fr", "en", "de", "es", "it", "pt", "nl"]
            .iter()
            .map(|l| Labels::shipped(l).map(|l| l.page_ref).unwrap_or_default())
            .collect();
        assert_eq!(page_refs, ["p.", "p.", "S.", "p.", "p.", "p.", "p."]);
    }

    #[test]
    fn unknown_language_is_english_with_one_warning() {
        let mut diags = Diagnostics::new();
        let labels = book_labels("fy", None, None, "content/index.md", &mut diags);
        assert_eq!(labels.contents, "Contents");
        assert_eq!(diags.warning_count(), 1);
        assert!(diags.items()[0].message.contains("`fy`"));
        let mut diags = Diagnostics::new();
        book_labels("de-AT", None, None, "content/index.md", &mut diags);
        assert!(diags.items().is_empty());
    }

    #[test]
    fn config_overrides_theme_overrides_language() {
        let theme = LabelOverrides {
            contents: Some("Table des matières".into()),
            notes: Some("Renvois".into()),
            ..LabelOverrides::default()
        };
        let config = LabelOverrides {
            contents: Some("Au menu".into()),
            ..LabelOverrides::default()
        };
        let mut diags = Diagnostics::new();
        let labels = book_labels("fr", Some(&theme), Some(&config), "x", &mut diags);
        assert_eq!(
            (
                labels.contents.as_str(),
                labels.notes.as_str(),
                labels.page.as_str()
            ),
            ("Au menu", "Renvois", "page")
        );
    }

    #[test]
    fn persona_line_follows_the_language_punctuation() {
        assert_eq!(
            Labels::for_language("fr").persona_line("Citoyen"),
            "Profil\u{a0}: Citoyen"
        );
        assert_eq!(
            Labels::for_language("en-US").persona_line("Citizen"),
            "Profile: Citizen"
        );
    }
}
