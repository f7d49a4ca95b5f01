//! A chat as a PDF: A4 pages with the title, the event and dates, then each message under
//! its author and time, its paragraphs wrapped to the page, its note and sources; page
//! numbers at the foot of each page. Text is real text (selectable, searchable), set in
//! DejaVu Sans, embedded as a subset; a character the font lacks becomes `?`.

use std::sync::{Arc, LazyLock};

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

/// One line set on a page: its text, style and where its baseline is.
struct Line {
    text: String,
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
            for line in wrap(&measure, paragraph, WIDTH - indent) {
                if self.y + style.leading() > BOTTOM {
                    self.pages.push(Vec::new());
                    self.y = MARGIN;
                }
                self.y += style.leading();
                if let Some(page) = self.pages.last_mut() {
                    page.push(Line {
                        text: line,
                        style,
                        x: MARGIN + indent,
                        y: self.y,
                    });
                }
            }
        }
    }
}

/// Widths of text in one face and size, and what the face can show.
struct Measure<'a> {
    face: Option<ttf_parser::Face<'a>>,
    size: f32,
}

impl<'a> Measure<'a> {
    fn new(data: &'a [u8], size: f32) -> Self {
        Self {
            face: ttf_parser::Face::parse(data, 0).ok(),
            size,
        }
    }

    /// The character as it can be shown: itself, or `?` when the font has no glyph for it.
    fn shown(&self, c: char) -> char {
        match &self.face {
            Some(face) if c.is_whitespace() || face.glyph_index(c).is_some() => c,
            _ => '?',
        }
    }

    fn width(&self, text: &str) -> f32 {
        let Some(face) = &self.face else { return 0.0 };
        let units = f32::from(face.units_per_em());
        text.chars()
            .filter_map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)))
            .map(|advance| f32::from(advance) / units * self.size)
            .sum()
    }
}

/// Greedy line filling at spaces (each word measured once); a word wider than the line is
/// cut where it must be.
fn wrap(measure: &Measure, paragraph: &str, width: f32) -> Vec<String> {
    let shown: String = paragraph.chars().map(|c| measure.shown(c)).collect();
    let space = measure.width(" ");
    let mut lines = Vec::new();
    let (mut line, mut used) = (String::new(), 0.0);
    for word in shown.split_whitespace() {
        let wide = measure.width(word);
        let needed = if line.is_empty() {
            wide
        } else {
            used + space + wide
        };
        if needed <= width {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            used = needed;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        if wide <= width {
            line.push_str(word);
            used = wide;
            continue;
        }
        for c in word.chars() {
            let step = measure.width(c.encode_utf8(&mut [0; 4]));
            if !line.is_empty() && used + step > width {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += step;
        }
    }
    lines.push(line);
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
        let mut draw = |text: &str, style: Style, x: f32, y: f32| {
            let face = if style.bold() {
                &faces.bold
            } else {
                &faces.regular
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
                text,
                false,
                TextDirection::Auto,
            );
        };
        for line in lines {
            draw(&line.text, line.style, line.x, line.y);
        }
        let footer = format!("{} / {total}", number + 1);
        let width = Measure::new(faces.regular.data, Style::Meta.size()).width(&footer);
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
