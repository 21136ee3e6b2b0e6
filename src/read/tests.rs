//! Dialect table (Markdown in → exact IR out), Liquid, positions, XSS, depth caps, book assembly.

use super::*;
use crate::corpus::{Button, Config, Corpus, FrontMatter, Page, Persona, Routes, SiteConfig};
use crate::diag::Severity;
use crate::ir::{Align, Attr, ChapterKind, Inline, LinkTarget, PageSize, Pos};

/// Body starts at line 5 of the file, as after a 3-line front matter and a blank line.
const BODY_LINE: u32 = 5;

fn page_at(path: &str, body: &str) -> Page {
    Page {
        path: path.into(),
        front: FrontMatter::default(),
        body: body.into(),
        body_line: BODY_LINE,
    }
}

fn page(body: &str) -> Page {
    page_at("_faq/test.md", body)
}

fn corpus() -> Corpus {
    Corpus {
        root: "content".into(),
        config: Config::default(),
        site: SiteConfig::default(),
        index: page_at("faq.md", ""),
        personas: vec![],
        appendices: vec![],
        routes: Routes::default(),
    }
}

fn read_with(page: &Page) -> (ReadPage, Diagnostics) {
    let mut diags = Diagnostics::new();
    let read = read_page(page, &corpus(), &mut diags);
    (read, diags)
}

fn read_body(body: &str) -> (ReadPage, Diagnostics) {
    read_with(&page(body))
}

fn t(text: &str) -> Inline {
    Inline::Text(text.into())
}

fn para(inlines: Vec<Inline>) -> Block {
    Block::Para(inlines)
}

fn plain(text: &str) -> Block {
    Block::Plain(vec![t(text)])
}

fn at(line: u32, col: u32) -> Pos {
    Pos { line, col }
}

fn link(target: LinkTarget, content: Vec<Inline>, pos: Pos) -> Inline {
    Inline::Link {
        target,
        title: None,
        content,
        pos,
    }
}

fn source(url: &str) -> LinkTarget {
    LinkTarget::Source(url.into())
}

fn attr(id: Option<&str>, classes: &[&str]) -> Attr {
    Attr {
        id: id.map(str::to_string),
        classes: classes.iter().map(|c| c.to_string()).collect(),
        attributes: vec![],
    }
}

fn anchor(id: &str) -> Block {
    Block::Div {
        attr: attr(Some(id), &[]),
        blocks: vec![],
    }
}

fn heading(level: u8, attr: Attr, text: &str) -> Block {
    Block::Heading {
        level,
        attr,
        content: vec![t(text)],
    }
}

fn warnings(diags: &Diagnostics) -> Vec<&crate::diag::Diagnostic> {
    diags
        .items()
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect()
}

#[test]
fn dialect_table() {
    let table = Block::Table {
        aligns: vec![Align::Left, Align::Right],
        head: vec![vec![t("a")], vec![t("b")]],
        rows: vec![vec![vec![t("1")], vec![t("2")]]],
    };
    let cases: Vec<(&str, &str, Vec<Block>)> = vec![
        (
            "emphasis",
            "Un *mot* et **deux**",
            vec![para(vec![
                t("Un "),
                Inline::Emph(vec![t("mot")]),
                t(" et "),
                Inline::Strong(vec![t("deux")]),
            ])],
        ),
        (
            "bold italic",
            "***Note :***",
            vec![para(vec![Inline::Emph(vec![Inline::Strong(vec![t(
                "Note :",
            )])])])],
        ),
        (
            "emphasis as note",
            "**Attention :** *texte*",
            vec![para(vec![
                Inline::Strong(vec![t("Attention :")]),
                t(" "),
                Inline::Emph(vec![t("texte")]),
            ])],
        ),
        (
            "strikethrough",
            "~~barré~~",
            vec![para(vec![Inline::Strikeout(vec![t("barré")])])],
        ),
        (
            "code span",
            "la commande `ls -l`",
            vec![para(vec![t("la commande "), Inline::Code("ls -l".into())])],
        ),
        (
            "soft break",
            "ligne un\nligne deux",
            vec![para(vec![
                t("ligne un"),
                Inline::SoftBreak,
                t("ligne deux"),
            ])],
        ),
        (
            "hard break",
            "ligne un  \nligne deux",
            vec![para(vec![
                t("ligne un"),
                Inline::LineBreak,
                t("ligne deux"),
            ])],
        ),
        (
            "escaped brackets merge into one text",
            "\\[pas un lien\\] ni \\*ceci\\*",
            vec![para(vec![t("[pas un lien] ni *ceci*")])],
        ),
        (
            "quotes kept as typed",
            "l'eau \"claire\" et « guillemets »",
            vec![para(vec![t("l'eau \"claire\" et « guillemets »")])],
        ),
        (
            "emoji heading",
            "## 💡 Astuce",
            vec![heading(2, Attr::default(), "💡 Astuce")],
        ),
        (
            "autolink",
            "<https://www.data.gouv.fr>",
            vec![para(vec![link(
                source("https://www.data.gouv.fr"),
                vec![t("https://www.data.gouv.fr")],
                at(5, 1),
            )])],
        ),
        (
            "mailto autolink shows the address, as kramdown",
            "<mailto:info@data.gouv.fr>",
            vec![para(vec![link(
                source("mailto:info@data.gouv.fr"),
                vec![t("info@data.gouv.fr")],
                at(5, 1),
            )])],
        ),
        (
            "email autolink",
            "<info@data.gouv.fr>",
            vec![para(vec![link(
                source("mailto:info@data.gouv.fr"),
                vec![t("info@data.gouv.fr")],
                at(5, 1),
            )])],
        ),
        (
            "reference link, definition at the end",
            "Voir [le blog de la mission][]\n\n[le blog de la mission]: https://www.etalab.gouv.fr",
            vec![para(vec![
                t("Voir "),
                link(
                    source("https://www.etalab.gouv.fr"),
                    vec![t("le blog de la mission")],
                    at(5, 6),
                ),
            ])],
        ),
        (
            "full reference link",
            "[ici][b]\n\n[b]: https://x.fr \"Titre\"",
            vec![para(vec![Inline::Link {
                target: source("https://x.fr"),
                title: Some("Titre".into()),
                content: vec![t("ici")],
                pos: at(5, 1),
            }])],
        ),
        (
            "relative link",
            "[citoyen](citoyen.md#x)",
            vec![para(vec![link(
                source("citoyen.md#x"),
                vec![t("citoyen")],
                at(5, 1),
            )])],
        ),
        (
            "image",
            "![Un logo](/img/faq/logo.png \"Logo\")",
            vec![para(vec![Inline::Image {
                src: "/img/faq/logo.png".into(),
                alt: "Un logo".into(),
                title: Some("Logo".into()),
                asset: None,
                pos: at(5, 1),
            }])],
        ),
        (
            "nested lists",
            "* a\n  - b\n    1. c\n* d",
            vec![Block::BulletList(vec![
                vec![
                    plain("a"),
                    Block::BulletList(vec![vec![
                        plain("b"),
                        Block::OrderedList {
                            start: 1,
                            items: vec![vec![plain("c")]],
                        },
                    ]]),
                ],
                vec![plain("d")],
            ])],
        ),
        (
            "loose list",
            "- a\n\n- b",
            vec![Block::BulletList(vec![
                vec![para(vec![t("a")])],
                vec![para(vec![t("b")])],
            ])],
        ),
        (
            "ordered start",
            "3. trois\n4. quatre",
            vec![Block::OrderedList {
                start: 3,
                items: vec![vec![plain("trois")], vec![plain("quatre")]],
            }],
        ),
        (
            "task list",
            "- [ ] à faire\n- [x] fait",
            vec![Block::BulletList(vec![
                vec![plain("☐ à faire")],
                vec![plain("☑ fait")],
            ])],
        ),
        (
            "table",
            "| a | b |\n|:--|--:|\n| 1 | 2 |",
            vec![table.clone()],
        ),
        (
            "table with IAL",
            "| a | b |\n|:--|--:|\n| 1 | 2 |\n{: .table }",
            vec![Block::Div {
                attr: attr(None, &["table"]),
                blocks: vec![table],
            }],
        ),
        (
            "fenced html is text",
            "```html\n<div>\n<script>alert(1)</script>\n</div>\n```",
            vec![Block::CodeBlock {
                lang: Some("html".into()),
                text: "<div>\n<script>alert(1)</script>\n</div>".into(),
            }],
        ),
        (
            "indented code",
            "    let x = 1;",
            vec![Block::CodeBlock {
                lang: None,
                text: "let x = 1;".into(),
            }],
        ),
        (
            "blockquote",
            "> une\n> citation",
            vec![Block::BlockQuote(vec![para(vec![
                t("une"),
                Inline::SoftBreak,
                t("citation"),
            ])])],
        ),
        (
            "thematic break",
            "a\n\n---\n\nb",
            vec![para(vec![t("a")]), Block::ThematicBreak, para(vec![t("b")])],
        ),
        (
            "heading attributes",
            "## Titre {#mon-id .c}",
            vec![heading(2, attr(Some("mon-id"), &["c"]), "Titre")],
        ),
        (
            "block IAL on heading",
            "## Titre\n{: #mon-id .x}",
            vec![heading(2, attr(Some("mon-id"), &["x"]), "Titre")],
        ),
        (
            "IAL no_toc",
            "## Sommaire\n{:.no_toc}",
            vec![heading(2, attr(None, &["no_toc"]), "Sommaire")],
        ),
        (
            "IAL key=value keeps safe ones",
            "## T\n{: #i lang=\"en\" target=\"_blank\"}",
            vec![Block::Heading {
                level: 2,
                attr: Attr {
                    id: Some("i".into()),
                    classes: vec![],
                    attributes: vec![("lang".into(), "en".into())],
                },
                content: vec![t("T")],
            }],
        ),
        (
            "IAL after paragraph wraps it",
            "Du texte.\n{: .note}",
            vec![Block::Div {
                attr: attr(None, &["note"]),
                blocks: vec![para(vec![t("Du texte.")])],
            }],
        ),
        (
            "kramdown TOC with *",
            "* TOC\n{:toc}\n\n## A",
            vec![Block::Toc, heading(2, Attr::default(), "A")],
        ),
        ("kramdown TOC with -", "- TOC\n{:toc}", vec![Block::Toc]),
        (
            "span IAL after link removed",
            "[site](https://x.fr){:target=\"_blank\"} suite",
            vec![para(vec![
                link(source("https://x.fr"), vec![t("site")], at(5, 1)),
                t(" suite"),
            ])],
        ),
        (
            "span anchor before heading",
            "<span id=\"x\"></span>\n## T",
            vec![anchor("x"), heading(2, Attr::default(), "T")],
        ),
        (
            "a name anchor",
            "<a name=\"ancre\"></a>",
            vec![anchor("ancre")],
        ),
        (
            "paragraph of anchors",
            "<a id=\"a\"></a> <span id=\"b\"></span>",
            vec![anchor("a"), anchor("b")],
        ),
        (
            "inline html",
            "Un <em>mot</em>, <b>gras</b> et <a href=\"https://x.fr\" title=\"T\">lien</a>",
            vec![para(vec![
                t("Un "),
                Inline::Emph(vec![t("mot")]),
                t(", "),
                Inline::Strong(vec![t("gras")]),
                t(" et "),
                Inline::Link {
                    target: source("https://x.fr"),
                    title: Some("T".into()),
                    content: vec![t("lien")],
                    pos: at(5, 33),
                },
            ])],
        ),
        (
            "inline span with class",
            "a <span class=\"k\" data-x=\"1\">b</span>",
            vec![para(vec![
                t("a "),
                Inline::Span {
                    attr: attr(None, &["k"]),
                    content: vec![t("b")],
                },
            ])],
        ),
        (
            "inline sup sub code br",
            "x<sup>2</sup> H<sub>2</sub>O <code>a&lt;b</code><br>fin",
            vec![para(vec![
                t("x"),
                Inline::Superscript(vec![t("2")]),
                t(" H"),
                Inline::Subscript(vec![t("2")]),
                t("O "),
                Inline::Code("a<b".into()),
                Inline::LineBreak,
                t("fin"),
            ])],
        ),
        (
            "unknown inline tag unwraps",
            "<u>souligné</u> <mark>m</mark>",
            vec![para(vec![t("souligné m")])],
        ),
        (
            "html block div",
            "<div class=\"note\" id=\"n\">\n<p>Texte <strong>gras</strong></p>\n</div>",
            vec![Block::Div {
                attr: attr(Some("n"), &["note"]),
                blocks: vec![para(vec![t("Texte "), Inline::Strong(vec![t("gras")])])],
            }],
        ),
        (
            "html div around markdown",
            "<div class=\"n\">\n\n**b**\n\n</div>",
            vec![Block::Div {
                attr: attr(None, &["n"]),
                blocks: vec![para(vec![Inline::Strong(vec![t("b")])])],
            }],
        ),
        (
            "html list and heading",
            "<ul>\n<li>un</li>\n<li><em>deux</em></li>\n</ul>\n<h3 id=\"h\">Titre</h3>",
            vec![
                Block::BulletList(vec![
                    vec![plain("un")],
                    vec![Block::Plain(vec![Inline::Emph(vec![t("deux")])])],
                ]),
                heading(3, attr(Some("h"), &[]), "Titre"),
            ],
        ),
        (
            "html table",
            "<table>\n<tr><th>A</th><th>B</th></tr>\n<tr><td>1</td><td>2</td></tr>\n</table>",
            vec![Block::Table {
                aligns: vec![Align::None, Align::None],
                head: vec![vec![t("A")], vec![t("B")]],
                rows: vec![vec![vec![t("1")], vec![t("2")]]],
            }],
        ),
        (
            "html img, blockquote, pre, hr",
            "<blockquote><p>cité</p></blockquote>\n<pre><code class=\"language-sh\">ls\n</code></pre>\n<hr>\n<p><img src=\"/img/a.png\" alt=\"A\" width=\"10\"></p>",
            vec![
                Block::BlockQuote(vec![para(vec![t("cité")])]),
                Block::CodeBlock {
                    lang: Some("sh".into()),
                    text: "ls".into(),
                },
                Block::ThematicBreak,
                para(vec![Inline::Image {
                    src: "/img/a.png".into(),
                    alt: "A".into(),
                    title: None,
                    asset: None,
                    pos: at(5, 1),
                }]),
            ],
        ),
        (
            "html comment dropped",
            "<!-- note interne -->\n\ntexte <!-- x --> suite",
            vec![para(vec![t("texte  suite")])],
        ),
        (
            "footnote",
            "Texte[^1].\n\n[^1]: La note.",
            vec![para(vec![
                t("Texte"),
                Inline::Note(vec![para(vec![t("La note.")])]),
                t("."),
            ])],
        ),
        (
            "footnote defined before, used twice",
            "[^n]: Note.\n\na[^n] b[^n]",
            vec![para(vec![
                t("a"),
                Inline::Note(vec![para(vec![t("Note.")])]),
                t(" b"),
                Inline::Note(vec![para(vec![t("Note.")])]),
            ])],
        ),
        (
            "liquid link",
            "[Producteur]({% link _faq/producteur.md %})",
            vec![para(vec![link(
                LinkTarget::Page("_faq/producteur.md".into()),
                vec![t("Producteur")],
                at(5, 1),
            )])],
        ),
        (
            "liquid link with baseurl and anchor",
            "[P]({{ site.baseurl }}{% link _faq/mentions légales.md %}#x)",
            vec![para(vec![link(
                LinkTarget::Page("_faq/mentions légales.md#x".into()),
                vec![t("P")],
                at(5, 1),
            )])],
        ),
        (
            "post_url",
            "[billet]({% post_url 2020-01-02-annonce %})",
            vec![para(vec![link(
                LinkTarget::Page("2020-01-02-annonce".into()),
                vec![t("billet")],
                at(5, 1),
            )])],
        ),
        (
            "baseurl vanishes",
            "[c]({{ site.baseurl }}/faq/citoyen.html) ![i]({{site.url}}/img/x.png)",
            vec![para(vec![
                link(source("/faq/citoyen.html"), vec![t("c")], at(5, 1)),
                t(" "),
                Inline::Image {
                    src: "/img/x.png".into(),
                    alt: "i".into(),
                    title: None,
                    asset: None,
                    pos: at(5, 42),
                },
            ])],
        ),
        (
            "liquid link in html href",
            "<a href=\"{% link _faq/a.md %}\">a</a>",
            vec![para(vec![link(
                LinkTarget::Page("_faq/a.md".into()),
                vec![t("a")],
                at(5, 1),
            )])],
        ),
        (
            "raw keeps liquid as text",
            "{% raw %}{{ page.title }} et {% if %}{% endraw %}",
            vec![para(vec![t("{{ page.title }} et {% if %}")])],
        ),
        (
            "comment removed",
            "a{% comment %}secret\nsecret{% endcomment %}b",
            vec![para(vec![t("a"), Inline::SoftBreak, t("b")])],
        ),
        (
            "liquid in code span is text",
            "`{{ site.baseurl }}` et ``{% include x %}``",
            vec![para(vec![
                Inline::Code("{{ site.baseurl }}".into()),
                t(" et "),
                Inline::Code("{% include x %}".into()),
            ])],
        ),
        (
            "liquid in fenced code is text",
            "~~~liquid\n{% link a.md %} {{ page.title }}\n{: .x}\n~~~",
            vec![Block::CodeBlock {
                lang: Some("liquid".into()),
                text: "{% link a.md %} {{ page.title }}\n{: .x}".into(),
            }],
        ),
        (
            "escaped liquid brace is text",
            "\\{% pas un tag %}",
            vec![para(vec![t("{% pas un tag %}")])],
        ),
    ];
    let mut failures = Vec::new();
    for (name, markdown, expected) in cases {
        let (read, diags) = read_body(markdown);
        if read.blocks != expected {
            failures.push(format!(
                "{name}:\n  got      {:?}\n  expected {expected:?}",
                read.blocks
            ));
        }
        if !diags.items().is_empty() {
            failures.push(format!(
                "{name}: unexpected diagnostics {:?}",
                diags.items()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn title_heading_is_taken_out() {
    let (read, _) = read_body("# Découvrir L'OpenData\n\nTexte.");
    assert_eq!(read.first_heading.as_deref(), Some("Découvrir L'OpenData"));
    assert_eq!(read.blocks, vec![para(vec![t("Texte.")])]);

    // An explicit id survives as an anchor.
    let (read, _) = read_body("# Titre {#haut}\n\nTexte.");
    assert_eq!(read.first_heading.as_deref(), Some("Titre"));
    assert_eq!(read.blocks, vec![anchor("haut"), para(vec![t("Texte.")])]);

    // Not at the top: kept.
    let (read, _) = read_body("Intro.\n\n# Titre");
    assert_eq!(read.first_heading, None);
    assert_eq!(read.blocks.len(), 2);
    let (read, _) = read_body("## Section\n\n# Titre");
    assert_eq!(read.first_heading, None);
}

#[test]
fn liquid_variables_from_page_and_site() {
    let mut page = page("Titre : {{ page.title }}, site : {{ site.name | upcase }}.");
    page.front.vars.insert("title".into(), "Citoyen".into());
    let mut corpus = corpus();
    corpus
        .site
        .vars
        .insert("name".into(), "data.gouv.fr".into());
    let mut diags = Diagnostics::new();
    let read = read_page(&page, &corpus, &mut diags);
    assert_eq!(
        read.blocks,
        vec![para(vec![t("Titre : Citoyen, site : data.gouv.fr.")])]
    );
    assert!(diags.items().is_empty(), "{:?}", diags.items());
}

#[test]
fn unknown_liquid_is_removed_with_a_warning_at_its_line() {
    let (read, diags) = read_body(
        "Ligne un.\n\nA {{ page.inconnu }} B\n{% include snippet.html %}\nC {% if x %}D{% endif %}",
    );
    assert_eq!(
        read.blocks,
        // Like Jekyll (Liquid before Markdown), a line left empty ends the paragraph.
        vec![
            para(vec![t("Ligne un.")]),
            para(vec![t("A  B")]),
            para(vec![t("C D")])
        ]
    );
    let found: Vec<(u32, u32)> = warnings(&diags).iter().map(|d| (d.line, d.col)).collect();
    assert_eq!(found, vec![(7, 3), (8, 1), (9, 3), (9, 14)]);
    assert!(
        diags
            .items()
            .iter()
            .all(|d| d.path == "content/_faq/test.md")
    );
    assert!(diags.items()[1].message.contains("include snippet.html"));
}

#[test]
fn line_numbers_survive_the_pre_pass() {
    let body = "{% comment %}\nune\ndeux\n{% endcomment %}\n{% include a.html %}\n\n{:toc}\n[lien](x.md) {{ site.baseurl }}\n\n![img](/i.png)\n\n```\n{% raw %}\n```\n[^n]\n";
    let (read, _) = read_body(body);
    let mut positions = Vec::new();
    collect_positions(&read.blocks, &mut positions);
    // `[lien]` is on body line 8, the image on body line 10 (file lines + 4).
    assert_eq!(positions, vec![at(12, 1), at(14, 1)]);
    let (prepared_lines, body_lines) = {
        let vars = liquid::LiquidVars {
            page: &Default::default(),
            site: &Default::default(),
        };
        let mut diags = Diagnostics::new();
        let mut rep = Reporter::new(&mut diags, String::new(), 1);
        let prepared = liquid::prepare(body, &vars, &mut rep);
        (prepared.text.lines().count(), body.lines().count())
    };
    assert_eq!(prepared_lines, body_lines);
}

fn collect_positions(blocks: &[Block], out: &mut Vec<Pos>) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => {
                for inline in inlines {
                    if let Inline::Link { pos, .. } | Inline::Image { pos, .. } = inline {
                        out.push(*pos);
                    }
                }
            }
            Block::Div { blocks, .. } | Block::BlockQuote(blocks) => collect_positions(blocks, out),
            _ => {}
        }
    }
}

#[test]
fn undefined_footnote_is_text_with_a_warning() {
    let (read, diags) = read_body("Voir[^x].");
    assert_eq!(read.blocks, vec![para(vec![t("Voir[^x].")])]);
    let w = warnings(&diags);
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].line, w[0].col), (5, 5));
    assert!(w[0].message.contains("[^x]"));
    // An escaped bracket is no footnote reference.
    let (_, diags) = read_body("\\[^x]");
    assert!(diags.items().is_empty());
}

#[test]
fn each_drop_gives_one_warning_at_its_line() {
    let cases = [
        ("a\n\n<script>alert(1)</script>", 7),
        ("a\n\ntexte <script>alert(1)</script> fin", 7),
        ("<img src=\"x.png\" onerror=\"alert(1)\">", 5),
        ("[x](javascript:alert(1))", 5),
        ("<p style=\"color:red\">y</p>", 5),
        ("<iframe src=\"https://e.x\"></iframe>", 5),
    ];
    for (markdown, line) in cases {
        let (_, diags) = read_body(markdown);
        let w = warnings(&diags);
        assert_eq!(w.len(), 1, "{markdown}: {w:?}");
        assert_eq!(w[0].line, line, "{markdown}");
        assert_eq!(w[0].path, "content/_faq/test.md");
    }
}

#[test]
fn xss_never_reaches_the_ir() {
    let attacks = [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://e.x/x.js></SCRIPT>",
        "texte <script>alert(1)</script> suite",
        "texte <script>alert(1) jamais fermé",
        "<div>\n<script>\nalert(1)\n</script>\n</div>",
        "<img src=x onerror=alert(1)>",
        "texte <img src=\"x.png\" onerror=\"alert(1)\"> suite",
        "<a href=\"javascript:alert(1)\">x</a>",
        "texte <a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\" java\tscript:alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "[x](javascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x]\n\n[x]: javascript:alert(1)",
        "![x](javascript:alert(1))",
        "![x](data:image/png;base64,AAAA)",
        "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "texte <iframe src=\"https://evil.example\">alert</iframe>",
        "<div onclick=\"alert(1)\">x</div>",
        "<span onmouseover=alert(1)>x</span>",
        "<details open ontoggle=alert(1)>x</details>",
        "<svg onload=alert(1)><circle/></svg>",
        "<style>body { background: url(javascript:alert(1)) }</style>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<form action=\"javascript:alert(1)\"><input value=alert></form>",
        "<table><tr><td onclick=\"alert(1)\">x</td></tr></table>",
        "## Titre {onclick=alert(1)}",
        "Texte\n{: onclick=\"alert(1)\"}",
        &format!(
            "{}<script>alert(1)</script><p onclick=\"alert(1)\">x</p>",
            "<div>".repeat(200)
        ),
    ];
    for attack in attacks {
        let (read, diags) = read_body(attack);
        let dump = serde_json::to_string(&read.blocks)
            .unwrap_or_default()
            .to_lowercase();
        for bad in [
            "script",
            "alert",
            "javascript",
            "vbscript",
            "data:",
            "onerror",
            "onclick",
            "onload",
            "onmouseover",
            "ontoggle",
            "iframe",
            "evil",
        ] {
            assert!(!dump.contains(bad), "{attack:?} left {bad:?} in {dump}");
        }
        assert!(!warnings(&diags).is_empty(), "{attack:?} gave no warning");
    }
}

/// Deepest nesting of blocks, without recursion (a deep tree must not overflow the test).
fn depth_of(blocks: &[Block]) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Block, usize)> = blocks.iter().map(|b| (b, 1)).collect();
    while let Some((block, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        match block {
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => {
                stack.extend(inner.iter().map(|b| (b, depth + 1)));
            }
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                stack.extend(items.iter().flatten().map(|b| (b, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

fn all_text(blocks: &[Block]) -> String {
    serde_json::to_string(blocks).unwrap_or_default()
}

#[test]
fn ten_thousand_nested_quotes_are_flattened() {
    let body = format!("{} fond", ">".repeat(10_000));
    let (read, diags) = read_body(&body);
    assert_eq!(depth_of(&read.blocks), MAX_DEPTH + 1);
    assert!(all_text(&read.blocks).contains("fond"));
    assert_eq!(warnings(&diags).len(), 1);
}

#[test]
fn ten_thousand_nested_list_items_are_flattened() {
    let body = format!("{}fond\n", "- ".repeat(10_000));
    let (read, diags) = read_body(&body);
    assert!(
        depth_of(&read.blocks) <= MAX_DEPTH + 1,
        "{}",
        depth_of(&read.blocks)
    );
    assert!(depth_of(&read.blocks) >= MAX_DEPTH);
    assert!(all_text(&read.blocks).contains("fond"));
    assert_eq!(warnings(&diags).len(), 1);
    // Items past the cap stay apart.
    let body = format!("{}a\n{}b\n", "- ".repeat(150), " ".repeat(300));
    let (read, _) = read_body(&body);
    assert!(all_text(&read.blocks).contains("\"a\""));
}

#[test]
fn deep_raw_html_is_flattened() {
    let body = format!(
        "<div>{}fond{}</div>",
        "<div>".repeat(10_000),
        "</div>".repeat(10_000)
    );
    let (read, diags) = read_body(&body);
    assert!(depth_of(&read.blocks) <= MAX_DEPTH + 1);
    assert!(all_text(&read.blocks).contains("fond"));
    assert_eq!(warnings(&diags).len(), 1);

    let body = format!(
        "a {}fond{}",
        "<span class=\"s\">".repeat(10_000),
        "</span>".repeat(10_000)
    );
    let (read, diags) = read_body(&body);
    assert!(all_text(&read.blocks).contains("fond"));
    assert_eq!(warnings(&diags).len(), 1);

    let body = format!("a {}fond", "*a ".repeat(10_000));
    let (read, _) = read_body(&body);
    assert!(all_text(&read.blocks).contains("fond"));
}

#[test]
fn slugify_examples() {
    assert_eq!(slugify("Découvrir L'OpenData !"), "decouvrir-l-opendata");
    assert_eq!(slugify("  Réutilisateur  "), "reutilisateur");
    assert_eq!(slugify("Mentions légales — 2024"), "mentions-legales-2024");
    assert_eq!(slugify("💡"), "bulb");
    assert_eq!(slugify("---"), "");
}

fn persona(slug: &str, title: &str, page: Page) -> Persona {
    Persona {
        slug: slug.into(),
        button: Button {
            title: title.into(),
            target: format!("faq/{slug}"),
            line: 4,
            target_at: (5, 14),
        },
        page,
    }
}

#[test]
fn pages_read_on_several_threads_give_the_book_and_diagnostics_of_one() {
    let mut corpus = corpus();
    corpus.index = page_at("faq.md", "# Index\n\n<script>x</script>\n");
    corpus.personas = (0..12)
        .map(|n| {
            let text = format!(
                "# Page {n}\n\n{}<script>{n}</script>\n\n[lien]({{% link absent-{n}.md %}})\n",
                "Du texte : l'été. ".repeat(50 * (n % 4 + 1))
            );
            persona(
                &format!("p{n}"),
                &format!("P{n}"),
                page_at(&format!("_faq/p{n}.md"), &text),
            )
        })
        .collect();
    let read = |jobs: usize| {
        let mut diags = Diagnostics::new();
        let doc = read_document(
            &corpus,
            crate::labels::Labels::for_language("fr"),
            jobs,
            &mut diags,
        );
        (doc, diags.items().to_vec())
    };
    let (one_doc, one_diags) = read(1);
    assert!(one_diags.len() >= 13, "{one_diags:?}");
    for jobs in [2, 4, 16] {
        let (doc, diags) = read(jobs);
        assert_eq!(doc, one_doc, "{jobs} jobs");
        assert_eq!(diags, one_diags, "{jobs} jobs");
    }
}

#[test]
fn read_document_assembles_the_book() {
    let mut corpus = corpus();
    corpus.index = page_at("faq.md", "# Découvrir L'OpenData\n\nIntro.");
    corpus.index.front.summary = Some("Les questions essentielles".into());
    let mut citoyen = page_at("_faq/citoyen.md", "# Citoyen\n\nTexte.");
    citoyen.front.title = Some("Vous êtes citoyen".into());
    citoyen.front.label = Some("En tant que citoyen".into());
    citoyen.front.subtitle = Some("Sous-titre".into());
    let producteur = page_at("_faq/producteur.md", "# Producteur de données\n\nTexte.");
    let sans_titre = page_at("_faq/reutilisateur.md", "Texte.");
    corpus.personas = vec![
        persona("citoyen", "Citoyen", citoyen),
        persona("producteur", "Producteur", producteur),
        persona("reutilisateur", "Réutilisateur", sans_titre),
    ];
    corpus.appendices = vec![
        page_at("_faq/mentions-légales.md", "Texte."),
        page_at("_faq/citoyen/index.md", "# Encore\n"),
    ];
    let mut diags = Diagnostics::new();
    let doc = read_document(
        &corpus,
        crate::labels::Labels::for_language("fr"),
        4,
        &mut diags,
    );
    let summary: Vec<(&str, ChapterKind, &str)> = doc
        .chapters
        .iter()
        .map(|c| (c.id.as_str(), c.kind, c.title.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "introduction",
                ChapterKind::Introduction,
                "Découvrir L'OpenData"
            ),
            ("citoyen", ChapterKind::Persona, "Vous êtes citoyen"),
            ("producteur", ChapterKind::Persona, "Producteur de données"),
            ("reutilisateur", ChapterKind::Persona, "Réutilisateur"),
            (
                "mentions-legales",
                ChapterKind::Appendix,
                "mentions-légales"
            ),
            ("citoyen-2", ChapterKind::Appendix, "Encore"),
        ]
    );
    let citoyen = &doc.chapters[1];
    assert_eq!(citoyen.label.as_deref(), Some("En tant que citoyen"));
    assert_eq!(citoyen.subtitle.as_deref(), Some("Sous-titre"));
    assert_eq!(citoyen.source, "_faq/citoyen.md");
    assert_eq!(citoyen.blocks, vec![para(vec![t("Texte.")])]);
    assert_eq!(doc.meta.name, "decouvrir-l-opendata");
    assert_eq!(doc.meta.title, "Découvrir L'OpenData");
    assert_eq!(
        doc.meta.summary.as_deref(),
        Some("Les questions essentielles")
    );
    assert_eq!(doc.meta.language, "fr");
    assert_eq!(doc.meta.page_size, PageSize::A4);
    assert_eq!(doc.meta.persona, None);
    assert!(doc.assets.is_empty());
}

#[test]
fn read_document_meta_prefers_config() {
    let mut corpus = corpus();
    corpus.index = page_at("faq.md", "Pas de titre.");
    let mut diags = Diagnostics::new();
    let doc = read_document(
        &corpus,
        crate::labels::Labels::for_language("fr"),
        1,
        &mut diags,
    );
    assert_eq!(
        (doc.meta.name.as_str(), doc.meta.title.as_str()),
        ("livret", "livret")
    );
    assert_eq!(doc.chapters[0].title, "Introduction");

    corpus.index.front.title = Some("FAQ Open Data".into());
    corpus.index.front.lang = Some("en".into());
    corpus.index.front.date = Some("2024-05-01".into());
    let doc = read_document(
        &corpus,
        crate::labels::Labels::for_language("fr"),
        1,
        &mut diags,
    );
    assert_eq!(
        (doc.meta.name.as_str(), doc.meta.language.as_str()),
        ("faq-open-data", "en")
    );
    assert_eq!(doc.meta.date.as_deref(), Some("2024-05-01"));

    corpus.config = Config {
        name: Some("guide".into()),
        title: Some("Le guide".into()),
        language: Some("fr-FR".into()),
        author: Some("Etalab".into()),
        page_size: Some(PageSize::Letter),
        ..Config::default()
    };
    let doc = read_document(
        &corpus,
        crate::labels::Labels::for_language("fr"),
        1,
        &mut diags,
    );
    assert_eq!(doc.meta.name, "guide");
    assert_eq!(doc.meta.title, "Le guide");
    assert_eq!(doc.meta.language, "fr-FR");
    assert_eq!(doc.meta.author.as_deref(), Some("Etalab"));
    assert_eq!(doc.meta.page_size, PageSize::Letter);
    // The introduction keeps the index page's own title.
    assert_eq!(doc.chapters[0].title, "FAQ Open Data");
}

/// Pieces that stress every scanner: multi-byte text next to markup, unclosed constructs.
const FUZZ_PIECES: &[&str] = &[
    "é",
    "💡",
    "<",
    ">",
    "&",
    "&#x",
    ";",
    "{",
    "}",
    "{%",
    "%}",
    "{{",
    "}}",
    "{:",
    "`",
    "```",
    "~~~",
    "\\",
    "\n",
    "\n\n",
    "  ",
    "> ",
    "- ",
    "1. ",
    "* ",
    "#",
    "[",
    "]",
    "(",
    ")",
    "!",
    "[^",
    "]:",
    "|",
    "---",
    "<span id=\"é\">",
    "</span>",
    "<div>",
    "</div>",
    "<script>",
    "</script>",
    "<a href=",
    "\"",
    "'",
    "<!--",
    "-->",
    "<p",
    "javascript:",
    "{% raw %}",
    "{% endraw %}",
    "{% comment %}",
    "{:toc}",
    "TOC",
    "*",
    "_",
    "~~",
    "<br/>",
    "<img src=x",
    "&amp;",
    "&#106;",
    "\t",
    "<td>",
    "<table>",
];

#[test]
fn arbitrary_input_never_panics() {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let mut body = String::new();
        let len = (state % 40) as usize + 1;
        for _ in 0..len {
            // xorshift: deterministic, no dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let piece = FUZZ_PIECES[(state % FUZZ_PIECES.len() as u64) as usize];
            body.push_str(piece);
        }
        let (read, diags) = read_body(&body);
        let mut urls = Vec::new();
        collect_urls_and_attrs(&read.blocks, &mut urls);
        for url in urls {
            assert!(
                raw_html::dangerous_scheme(&url).is_none(),
                "{body:?} → {url}"
            );
            assert!(!url.starts_with("on"), "{body:?} → {url}");
        }
        for d in diags.items() {
            assert!(
                d.line >= BODY_LINE && d.line < BODY_LINE + 1 + body.matches('\n').count() as u32,
                "{body:?}: {d:?}"
            );
        }
    }
}

/// Every link target, image source and attribute name of the tree.
fn collect_urls_and_attrs(blocks: &[Block], out: &mut Vec<String>) {
    fn attr_names(attr: &Attr, out: &mut Vec<String>) {
        out.extend(attr.attributes.iter().map(|(k, _)| k.clone()));
    }
    fn inlines(items: &[Inline], out: &mut Vec<String>) {
        for inline in items {
            match inline {
                Inline::Link {
                    target, content, ..
                } => {
                    if let LinkTarget::Source(url)
                    | LinkTarget::Page(url)
                    | LinkTarget::External(url) = target
                    {
                        out.push(url.clone());
                    }
                    inlines(content, out);
                }
                Inline::Image { src, .. } => out.push(src.clone()),
                Inline::Span { attr, content } => {
                    attr_names(attr, out);
                    inlines(content, out);
                }
                Inline::Emph(c)
                | Inline::Strong(c)
                | Inline::Strikeout(c)
                | Inline::Superscript(c)
                | Inline::Subscript(c) => inlines(c, out),
                Inline::Note(b) => collect_urls_and_attrs(b, out),
                _ => {}
            }
        }
    }
    for block in blocks {
        match block {
            Block::Para(i) | Block::Plain(i) => inlines(i, out),
            Block::Heading { attr, content, .. } => {
                attr_names(attr, out);
                inlines(content, out);
            }
            Block::Div { attr, blocks } => {
                attr_names(attr, out);
                collect_urls_and_attrs(blocks, out);
            }
            Block::BlockQuote(b) => collect_urls_and_attrs(b, out),
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                for item in items {
                    collect_urls_and_attrs(item, out);
                }
            }
            Block::Table { head, rows, .. } => {
                for cell in head.iter().chain(rows.iter().flatten()) {
                    inlines(cell, out);
                }
            }
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

/// Found by the `front_matter` fuzz target: Liquid whose arguments span lines.
#[test]
fn multi_line_liquid_keeps_every_line() {
    let cases = [
        "a {% link faq/a\nb.md %} c\n",
        "a {% post_url x\n\ty %}\n",
        "{{ page.title\n}} {% link\nx %}\n",
        "{% raw\n%}{{ x }}{% endraw\n%}\n",
        "x {% comment\n%}\ny\n{% endcomment %} z\n",
        "  {: #a\n.b}\n",
        "[x](y){: .a}\n{: .b}\n",
    ];
    for body in cases {
        let vars = liquid::LiquidVars {
            page: &Default::default(),
            site: &Default::default(),
        };
        let mut diags = Diagnostics::new();
        let mut rep = Reporter::new(&mut diags, String::new(), 1);
        let prepared = liquid::prepare(body, &vars, &mut rep);
        assert_eq!(
            prepared.text.matches('\n').count(),
            body.matches('\n').count(),
            "{body:?} → {:?}",
            prepared.text
        );
    }
}

#[test]
fn a_repeated_explicit_id_is_reported_where_it_repeats() {
    // Body lines 0–8 are file lines 5–13.
    let body = "## Premier {#x}\n\
                \n\
                Texte <span id=\"y\">ici</span>.\n\
                \n\
                <a id=\"x\"></a>\n\
                \n\
                ## Deuxième\n\
                {: #y}\n\
                \n\
                ## Même {#z}\n\
                {: #z}\n";
    let (_, diags) = read_body(body);
    let found: Vec<(u32, u32, &str)> = warnings(&diags)
        .iter()
        .map(|d| (d.line, d.col, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (9, 1, "duplicate id `x` in this page (first at line 5)"),
            (12, 1, "duplicate id `y` in this page (first at line 7)"),
        ],
        "an IAL restating a heading's own id is not a repeat"
    );
    let hints: Vec<_> = warnings(&diags).iter().map(|d| d.hint.clone()).collect();
    assert_eq!(
        hints[0].as_deref(),
        Some("links to `#x` go to the first one")
    );

    // An id on an element that does not reach the book is not counted.
    let (_, diags) = read_body("<img id=\"x\" src=\"a.png\">\n\n## Titre {#x}\n");
    assert!(warnings(&diags).is_empty(), "{:?}", diags.items());
}

#[test]
fn an_escaped_bracket_before_a_liquid_link_shows_the_url_and_no_marker() {
    for body in [
        "Consultez le \\[Guide]({% link _faq/x.md %}).",
        "[Guide\\]({% link _faq/x.md %})",
        "    {% link _faq/x.md %} en code indenté",
        "<p title=\"{% link _faq/x.md %}\">{% link _faq/x.md %}</p>",
        "![{% link _faq/x.md %}](/img/a.png \"{% link _faq/x.md %}\")",
        "{% link _faq/x.md %}{% link _faq/x.md %}",
    ] {
        let (read, _) = read_body(body);
        let dump = format!("{:?}", read.blocks);
        assert!(!dump.contains("x-livret-page"), "{body}: {dump}");
        assert!(dump.contains("/_faq/x.md"), "{body}: {dump}");
    }
    let (read, _) = read_body("Consultez le \\[Guide]({% link _faq/x.md %}).");
    assert_eq!(
        read.blocks,
        vec![para(vec![t("Consultez le [Guide](/_faq/x.md).")])]
    );
}

#[test]
fn code_spans_close_at_the_first_run_of_as_many_backticks() {
    let cases: Vec<(&str, Vec<Inline>)> = vec![
        (
            "`a [b] c`` : fin.",
            vec![Inline::Code("a [b] c".into()), t("` : fin.")],
        ),
        ("``x``` y", vec![Inline::Code("x".into()), t("` y")]),
        // Equal runs: as before.
        (
            "`a` et ``b``",
            vec![
                Inline::Code("a".into()),
                t(" et "),
                Inline::Code("b".into()),
            ],
        ),
    ];
    for (body, expected) in cases {
        let (read, _) = read_body(body);
        assert_eq!(read.blocks, vec![para(expected)], "{body}");
    }
    // Columns after the rewritten span still point at the page.
    let (read, _) = read_body("`a`` [lien](https://x.fr)");
    let mut positions = Vec::new();
    collect_positions(&read.blocks, &mut positions);
    assert_eq!(positions, vec![at(BODY_LINE, 6)]);
    // Fenced code is left alone.
    let (read, _) = read_body("```\n`a``\n```");
    assert_eq!(
        read.blocks,
        vec![Block::CodeBlock {
            lang: None,
            text: "`a``".into()
        }]
    );
}

#[test]
fn list_items_are_wrapped_in_paragraphs_where_kramdown_wraps_them() {
    let item = |text: &str, wrapped: bool| {
        if wrapped {
            vec![para(vec![t(text)])]
        } else {
            vec![plain(text)]
        }
    };
    let cases = [
        // Only the item a blank line follows.
        (
            "- un\n- deux\n\n- trois\n- quatre\n",
            vec![
                item("un", false),
                item("deux", true),
                item("trois", false),
                item("quatre", false),
            ],
        ),
        // Every item but the last is wrapped: the last one too.
        ("- a\n\n- b\n\nFin.", vec![item("a", true), item("b", true)]),
        // Tight: nothing wrapped.
        ("- a\n- b\n", vec![item("a", false), item("b", false)]),
    ];
    for (body, items) in cases {
        let (read, _) = read_body(body);
        assert_eq!(
            read.blocks.first(),
            Some(&Block::BulletList(items)),
            "{body}"
        );
    }
}

#[test]
fn kramdown_block_extensions() {
    let (read, diags) = read_body(
        "Le CSV et le CSV2.\n\n*[CSV]: Comma-Separated Values\n\n{::comment}\ncaché\n{:/comment}\n\n\
         <div markdown=\"1\" class=\"encadre\">\nDu **gras**.\n</div>\n\nTerme\n: Sens\n\nA\\\\\nB",
    );
    assert!(warnings(&diags).is_empty(), "{:?}", diags.items());
    let abbreviation = Inline::Span {
        attr: Attr {
            id: None,
            classes: vec!["abbreviation".into()],
            attributes: vec![("title".into(), "Comma-Separated Values".into())],
        },
        content: vec![t("CSV")],
    };
    let div = |class: &str, blocks: Vec<Block>| Block::Div {
        attr: attr(None, &[class]),
        blocks,
    };
    assert_eq!(
        read.blocks,
        vec![
            para(vec![t("Le "), abbreviation, t(" et le CSV2.")]),
            div(
                "encadre",
                vec![para(vec![
                    t("Du "),
                    Inline::Strong(vec![t("gras")]),
                    t(".")
                ])]
            ),
            div(
                "definition-list",
                vec![
                    div("definition-term", vec![plain("Terme")]),
                    div("definition", vec![plain("Sens")]),
                ]
            ),
            para(vec![t("A"), Inline::LineBreak, t("B")]),
        ]
    );
}

#[test]
fn a_bullet_change_goes_on_with_the_same_list_as_kramdown() {
    let (read, _) = read_body("- a\n- b\n* c\n+ d\n");
    assert_eq!(
        read.blocks,
        vec![Block::BulletList(vec![
            vec![plain("a")],
            vec![plain("b")],
            vec![plain("c")],
            vec![plain("d")],
        ])]
    );
}

#[test]
fn broken_kramdown_extensions_never_panic_and_lose_no_text() {
    let nested_definitions = "Terme\n: ".repeat(300) + "fin";
    let cases = [
        "{::comment}\njamais fermé\n\nni ici",
        "<div markdown=\"1\">\njamais fermé **gras**",
        "</div>\n<div markdown=\"1\">\n<div markdown=\"1\">\ntexte\n</div>",
        "*[]: vide\n*[X]:\n*[Y] pas une définition",
        "`` ` ``` ```` `x",
        "fin\\\\",
        "\\\\\n",
        "- a\n* b\n+ c\n- d\n\n* e",
        "> - a\n>\n> - b\n>\n> * c",
        nested_definitions.as_str(),
    ];
    for body in cases {
        let (read, _) = read_body(body);
        assert!(depth_of(&read.blocks) <= MAX_DEPTH + 2, "{body}");
        for word in ["gras", "texte", "fin", "jamais"] {
            if body.contains(word) && !body.starts_with("{::comment}") {
                assert!(all_text(&read.blocks).contains(word), "{body}: {word} lost");
            }
        }
    }
}

#[test]
fn an_html_comment_still_separates_two_lists() {
    let (read, _) = read_body("- a\n\n<!-- fin de liste -->\n\n* b\n");
    assert_eq!(
        read.blocks,
        vec![
            Block::BulletList(vec![vec![plain("a")]]),
            Block::BulletList(vec![vec![plain("b")]]),
        ]
    );
}

#[test]
fn the_end_of_block_marker_separates_blocks_and_keeps_positions() {
    let (read, _) = read_body("- a\n^\n- b\n\nun\n^\ndeux [lien](https://x.fr)");
    assert_eq!(
        read.blocks,
        vec![
            Block::BulletList(vec![vec![plain("a")]]),
            Block::BulletList(vec![vec![plain("b")]]),
            para(vec![t("un")]),
            para(vec![
                t("deux "),
                link(
                    source("https://x.fr"),
                    vec![t("lien")],
                    at(BODY_LINE + 6, 6)
                ),
            ]),
        ]
    );
}

#[test]
fn a_fence_right_under_a_list_item_belongs_to_it() {
    let code = |text: &str| Block::CodeBlock {
        lang: None,
        text: text.into(),
    };
    let (read, _) = read_body("1. Étape\n```\ncode\n```\n2. Suite\n\n- b\n\n```\nhors\n```\n");
    assert_eq!(
        read.blocks,
        vec![
            Block::OrderedList {
                start: 1,
                items: vec![vec![plain("Étape"), code("code")], vec![plain("Suite")]],
            },
            Block::BulletList(vec![vec![plain("b")]]),
            code("hors"),
        ]
    );
}

#[test]
fn book_name_is_the_stem_read_document_gives() {
    let mut by_heading = corpus();
    by_heading.index = page_at("faq.md", "# Découvrir L'OpenData\n\nTexte.");
    let mut by_front = corpus();
    by_front.index.front.title = Some("Guide pratique".into());
    let mut by_config = corpus();
    by_config.config.name = Some("mon-livret".into());
    for c in [corpus(), by_heading, by_front, by_config] {
        let doc = super::read_document(&c, Default::default(), 1, &mut Diagnostics::new());
        assert_eq!(super::book_name(&c), doc.meta.name);
    }
}

#[test]
fn tables_leave_the_reader_rectangular() {
    for source in [
        "| a | b | c |\n|---|---|---|\n| 1 |\n| 1 | 2 | 3 |\n",
        "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td></tr><tr><td>1</td><td>2</td><td>3</td></tr></table>\n",
    ] {
        let (read, _) = read_body(source);
        let Some(Block::Table { aligns, head, rows }) = read.blocks.first() else {
            panic!("a table: {:?}", read.blocks);
        };
        let columns = head.len();
        assert!(columns >= 3, "{source}");
        assert_eq!(aligns.len(), columns, "{source}");
        assert!(
            rows.iter().all(|r| r.len() == columns),
            "{source}: {rows:?}"
        );
    }
}

#[test]
fn lines_come_as_split_inclusive_gives_them() {
    for text in [
        "",
        "\n",
        "a",
        "a\n",
        "a\nb",
        "a\n\nb\n",
        "\n\n",
        "é\r\nü\n€",
        "x\ny\n\n\nz",
    ] {
        let expected: Vec<&str> = text.split_inclusive('\n').collect();
        assert_eq!(
            super::lines_inclusive(text).collect::<Vec<_>>(),
            expected,
            "{text:?}"
        );
    }
}
