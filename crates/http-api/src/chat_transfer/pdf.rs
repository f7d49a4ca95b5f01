//! A chat as a PDF: A4 pages with the title, the event and dates, then each message under
//! its author and time, its paragraphs wrapped to the page, its note and sources; page
//! numbers at the foot of each page. Text is real text (selectable, searchable), set in
//! DejaVu Sans, embedded as a subset. A character DejaVu lacks (CJK, say) is set in the
//! fallback font when one is configured and has it ([`set_fallback_font`]); else it is `?`.

use std::sync::{Arc, LazyLock, OnceLock};

use domain::{Event, SessionWithMessages};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};

use crate::chat_transfer::markdown::{author, note, sources, when};

const REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// A4, in points, with 2 cm margins.
const PAGE: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 56.7;
const WIDTH: f32 = PAGE.0 - 2.0 * MARGIN;
/// Where the last line of a page may sit: above the page number.
const BOTTOM: f32 = PAGE.1 - MARGIN;

/// A face to write with and to measure with.
struct Face {
    font: Font,
    /// The font file, which [`Measure`] reads widths and coverage from.
    data: &'static [u8],
}

impl Face {
    fn load(data: &'static [u8]) -> Option<Self> {
        Some(Self {
            font: Font::new(Arc::new(data.to_vec()).into(), 0)?,
            data,
        })
    }
}

struct Faces {
    regular: Face,
    bold: Face,
}

/// The font for what DejaVu Sans lacks: set once, at start-up, when configured.
static FALLBACK: OnceLock<Face> = OnceLock::new();

/// Makes the font file `data` (TrueType or OpenType; the first face of a collection) the one
/// for characters DejaVu Sans has no glyph for. The first font set stays for the life of
/// the process (later calls change nothing).
pub fn set_fallback_font(data: Vec<u8>) -> Result<(), String> {
    if FALLBACK.get().is_some() {
        return Ok(());
    }
    // Kept for the life of the process, as the built-in fonts are.
    let data: &'static [u8] = Box::leak(data.into_boxed_slice());
    ttf_parser::Face::parse(data, 0)
        .map_err(|error| format!("the font cannot be read: {error}"))?;
    let face = Face::load(data).ok_or("the font cannot be read")?;
    // Set by another server of this process meanwhile: the first one stays.
    let _ = FALLBACK.set(face);
    Ok(())
}

static FACES: LazyLock<Option<Faces>> = LazyLock::new(|| {
    Some(Faces {
        regular: Face::load(REGULAR)?,
        bold: Face::load(BOLD)?,
    })
});

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Title,
    Meta,
    Author,
    Body,
    Note,
}

impl Style {
    const fn size(self) -> f32 {
        match self {
            Self::Title => 18.0,
            Self::Meta | Self::Note => 9.5,
            Self::Author => 10.5,
            Self::Body => 11.0,
        }
    }

    const fn leading(self) -> f32 {
        self.size() * 1.4
    }

    const fn bold(self) -> bool {
        matches!(self, Self::Title | Self::Author)
    }

    const fn grey(self) -> u8 {
        match self {
            Self::Meta | Self::Note => 95,
            _ => 20,
        }
    }
}

/// Which font a piece of text is set in.
#[derive(Clone, Copy, PartialEq)]
enum Which {
    Own,
    Fallback,
}

/// Text set in one font, and how wide it is.
struct Run {
    which: Which,
    text: String,
    width: f32,
}

/// One line set on a page: its runs, style and where its baseline starts.
struct Line {
    runs: Vec<Run>,
    style: Style,
    x: f32,
    y: f32,
}

/// Lines into pages: a cursor that moves down and starts a new page at the bottom.
struct Layout<'a> {
    faces: &'a Faces,
    pages: Vec<Vec<Line>>,
    y: f32,
}

impl Layout<'_> {
    fn gap(&mut self, points: f32) {
        self.y += points;
    }

    /// `text` set in `style`, wrapped at `indent` to the right margin; each `\n` a new line.
    fn text(&mut self, text: &str, style: Style, indent: f32) {
        let face = if style.bold() {
            &self.faces.bold
        } else {
            &self.faces.regular
        };
        let measure = Measure::new(face.data, style.size());
        for paragraph in text.split('\n') {
            for runs in wrap(&measure, paragraph, WIDTH - indent) {
                if self.y + style.leading() > BOTTOM {
                    self.pages.push(Vec::new());
                    self.y = MARGIN;
                }
                self.y += style.leading();
                if let Some(page) = self.pages.last_mut() {
                    page.push(Line {
                        runs,
                        style,
                        x: MARGIN + indent,
                        y: self.y,
                    });
                }
            }
        }
    }
}

/// Widths of text in one size, and which font shows each character.
struct Measure<'a> {
    own: Option<ttf_parser::Face<'a>>,
    fallback: Option<ttf_parser::Face<'static>>,
    size: f32,
}

/// A character as it will be set: in which font, and how wide.
#[derive(Clone, Copy)]
struct Glyph {
    which: Which,
    c: char,
    width: f32,
}

impl<'a> Measure<'a> {
    fn new(own: &'a [u8], size: f32) -> Self {
        Self {
            own: ttf_parser::Face::parse(own, 0).ok(),
            fallback: FALLBACK
                .get()
                .and_then(|face| ttf_parser::Face::parse(face.data, 0).ok()),
            size,
        }
    }

    fn advance(&self, face: &ttf_parser::Face, c: char) -> Option<f32> {
        let glyph = face.glyph_index(c)?;
        let advance = face.glyph_hor_advance(glyph)?;
        Some(f32::from(advance) / f32::from(face.units_per_em()) * self.size)
    }

    /// `c` in the first font that has it, else `?` in this one.
    fn glyph(&self, c: char) -> Glyph {
        let own = self.own.as_ref().and_then(|face| self.advance(face, c));
        let fallback = || {
            self.fallback
                .as_ref()
                .and_then(|face| self.advance(face, c))
        };
        let (which, c, width) = match (own, c.is_whitespace()) {
            (Some(width), _) => (Which::Own, c, width),
            (None, true) => (Which::Own, ' ', self.width(" ")),
            (None, false) => match fallback() {
                Some(width) => (Which::Fallback, c, width),
                None => (Which::Own, '?', self.width("?")),
            },
        };
        Glyph { which, c, width }
    }

    /// The width of `text` in this font alone (for spaces, `?` and page numbers).
    fn width(&self, text: &str) -> f32 {
        let Some(face) = &self.own else { return 0.0 };
        text.chars().filter_map(|c| self.advance(face, c)).sum()
    }
}

/// A line's glyphs as runs of one font each.
fn runs(glyphs: &[Glyph]) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for glyph in glyphs {
        match runs.last_mut() {
            Some(run) if run.which == glyph.which => {
                run.text.push(glyph.c);
                run.width += glyph.width;
            }
            _ => runs.push(Run {
                which: glyph.which,
                text: glyph.c.to_string(),
                width: glyph.width,
            }),
        }
    }
    runs
}

/// Greedy line filling at spaces (each word measured once); a word wider than the line (a
/// long URL, or CJK text, which has no spaces) is cut where it must be.
fn wrap(measure: &Measure, paragraph: &str, width: f32) -> Vec<Vec<Run>> {
    let space = measure.glyph(' ');
    let mut lines = Vec::new();
    let (mut line, mut used): (Vec<Glyph>, f32) = (Vec::new(), 0.0);
    for word in paragraph.split_whitespace() {
        let glyphs: Vec<Glyph> = word.chars().map(|c| measure.glyph(c)).collect();
        let wide: f32 = glyphs.iter().map(|g| g.width).sum();
        let needed = if line.is_empty() {
            wide
        } else {
            used + space.width + wide
        };
        if needed <= width {
            if !line.is_empty() {
                line.push(space);
            }
            line.extend(glyphs);
            used = needed;
            continue;
        }
        if !line.is_empty() {
            lines.push(runs(&std::mem::take(&mut line)));
            used = 0.0;
        }
        if wide <= width {
            line = glyphs;
            used = wide;
            continue;
        }
        for glyph in glyphs {
            if !line.is_empty() && used + glyph.width > width {
                lines.push(runs(&std::mem::take(&mut line)));
                used = 0.0;
            }
            line.push(glyph);
            used += glyph.width;
        }
    }
    lines.push(runs(&line));
    lines
}

/// The chat as a PDF file; `Err` when the fonts cannot be read (which a build of this crate
/// rules out) or the writer fails.
pub fn render(chat: &SessionWithMessages, event: Option<&Event>) -> Result<Vec<u8>, String> {
    let faces = FACES.as_ref().ok_or("the PDF fonts cannot be read")?;
    let mut layout = Layout {
        faces,
        pages: vec![Vec::new()],
        y: MARGIN,
    };
    let s = &chat.session;
    layout.text(&s.title, Style::Title, 0.0);
    layout.gap(4.0);
    let mut meta = Vec::new();
    if let Some(event) = event {
        meta.push(format!("Event: {}", event.fields.name));
    }
    meta.push(format!(
        "Started {} · last message {}",
        when(s.created_at),
        when(s.updated_at)
    ));
    if !s.tags.is_empty() {
        meta.push(format!("Tags: {}", s.tags.join(", ")));
    }
    layout.text(&meta.join("\n"), Style::Meta, 0.0);
    for message in &chat.messages {
        layout.gap(14.0);
        layout.text(
            &format!("{} · {}", author(message.role), when(message.created_at)),
            Style::Author,
            0.0,
        );
        layout.gap(2.0);
        layout.text(message.content.trim_end(), Style::Body, 0.0);
        if let Some(note) = note(message) {
            layout.gap(3.0);
            layout.text(&note, Style::Note, 12.0);
        }
        let sources = sources(message);
        if !sources.is_empty() {
            layout.gap(3.0);
            layout.text(
                &format!("Sources:\n{}", sources.join("\n")),
                Style::Note,
                12.0,
            );
        }
    }

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(s.title.clone())
            .creator("aidstation".into()),
    );
    let total = layout.pages.len();
    for (number, lines) in layout.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE.0, PAGE.1).ok_or("no page size")?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut draw = |run: &Run, style: Style, x: f32, y: f32| {
            let face = match (run.which, FALLBACK.get()) {
                (Which::Fallback, Some(fallback)) => fallback,
                _ if style.bold() => &faces.bold,
                _ => &faces.regular,
            };
            let grey = style.grey();
            surface.set_fill(Some(Fill {
                paint: rgb::Color::new(grey, grey, grey).into(),
                ..Fill::default()
            }));
            surface.draw_text(
                Point::from_xy(x, y),
                face.font.clone(),
                style.size(),
                &run.text,
                false,
                TextDirection::Auto,
            );
        };
        for line in lines {
            let mut x = line.x;
            for run in &line.runs {
                draw(run, line.style, x, line.y);
                x += run.width;
            }
        }
        let text = format!("{} / {total}", number + 1);
        let width = Measure::new(faces.regular.data, Style::Meta.size()).width(&text);
        let footer = Run {
            which: Which::Own,
            text,
            width,
        };
        draw(
            &footer,
            Style::Meta,
            (PAGE.0 - width) / 2.0,
            PAGE.1 - MARGIN / 2.0,
        );
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|error| format!("{error:?}"))
}
