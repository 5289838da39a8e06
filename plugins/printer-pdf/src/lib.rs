//! PDF printer driver: one 100 × 75 mm page per copy with the card number as a
//! Code 128 barcode, as a QR code and as text, and the label lines (grower,
//! unit, ticket, weights, module info) in Chinese.
//!
//! # Fonts
//!
//! Chinese text is set in **Droid Sans Fallback** (Apache License 2.0, from
//! Debian's `fonts-droid-fallback` package, shipped in `fonts/` with its
//! licence), embedded as a subset (only the glyphs the label uses) in a CID
//! font with a `ToUnicode` map, so the PDF prints anywhere and its text can be
//! searched and copied. Latin letters and digits, which that font lacks, are set
//! in the standard PDF font Helvetica (WinAnsi). Characters neither font has
//! print as `?`. The output depends only on the job: no dates or random ids,
//! so the same job gives the same bytes.

mod code128;

use std::collections::BTreeMap;

use cotton_plugin_abi::sdk::{DriverError, PrinterDriver};
use cotton_plugin_abi::wire::*;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

const FONT: &[u8] = include_bytes!("../fonts/DroidSansFallback.ttf");
const FONT_NAME: &[u8] = b"CTRACE+DroidSansFallback";

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 100.0 * MM;
const PAGE_H: f32 = 75.0 * MM;
const MARGIN: f32 = 8.0;
const QR_SIZE: f32 = 64.0;

const LATIN: Name<'static> = Name(b"F1");
const CJK: Name<'static> = Name(b"F2");

/// Helvetica advance widths (per 1000 em) of ASCII 32–126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556,
    833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500,
    556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500,
    334, 260, 334, 584,
];

/// A stretch of text in one font.
enum Run {
    /// WinAnsi bytes for Helvetica.
    Latin(Vec<u8>),
    /// Glyph ids (in the subset) for the CJK font, and their widths per 1000 em.
    Cjk(Vec<u16>, f32),
}

/// The CJK font and the glyphs used so far.
struct Fonts<'a> {
    face: ttf_parser::Face<'a>,
    remapper: GlyphRemapper,
    /// new glyph id → (character, width per 1000 em)
    used: BTreeMap<u16, (char, f32)>,
}

impl<'a> Fonts<'a> {
    fn new() -> Result<Self, DriverError> {
        let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| DriverError::internal(format!("内置字体无法读取：{e}")))?;
        Ok(Fonts { face, remapper: GlyphRemapper::new(), used: BTreeMap::new() })
    }

    fn is_latin(c: char) -> bool {
        matches!(c, ' '..='~' | '\u{A0}'..='\u{FF}')
    }

    fn latin_width(b: u8) -> f32 {
        match b {
            32..=126 => f32::from(HELVETICA[usize::from(b - 32)]),
            0xD7 => 584.0,
            0xB7 => 278.0,
            _ => 556.0,
        }
    }

    /// Splits `text` into font runs, registering the CJK glyphs it uses.
    fn runs(&mut self, text: &str) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        let upem = f32::from(self.face.units_per_em());
        for c in text.chars() {
            let glyph = (!Self::is_latin(c)).then(|| self.face.glyph_index(c)).flatten();
            match glyph {
                Some(g) => {
                    let new = self.remapper.remap(g.0);
                    let w = f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) * 1000.0 / upem;
                    self.used.entry(new).or_insert((c, w));
                    match runs.last_mut() {
                        Some(Run::Cjk(ids, width)) => {
                            ids.push(new);
                            *width += w;
                        }
                        _ => runs.push(Run::Cjk(vec![new], w)),
                    }
                }
                None => {
                    let b = if Self::is_latin(c) { c as u32 as u8 } else { b'?' };
                    match runs.last_mut() {
                        Some(Run::Latin(bytes)) => bytes.push(b),
                        _ => runs.push(Run::Latin(vec![b])),
                    }
                }
            }
        }
        runs
    }

    /// Width of `runs` at 1 pt.
    fn width(runs: &[Run]) -> f32 {
        runs.iter()
            .map(|r| match r {
                Run::Latin(b) => b.iter().map(|&b| Self::latin_width(b)).sum::<f32>(),
                Run::Cjk(_, w) => *w,
            })
            .sum::<f32>()
            / 1000.0
    }

    /// Writes `text` at (x, y), shrunk to fit `max_width`.
    fn text(&mut self, content: &mut Content, text: &str, x: f32, y: f32, size: f32, max_width: f32) {
        let runs = self.runs(text);
        let width = Self::width(&runs) * size;
        let size = if width > max_width { size * max_width / width } else { size };
        content.begin_text();
        content.next_line(x, y);
        for run in &runs {
            match run {
                Run::Latin(bytes) => {
                    content.set_font(LATIN, size);
                    content.show(Str(bytes));
                }
                Run::Cjk(ids, _) => {
                    content.set_font(CJK, size);
                    let bytes: Vec<u8> = ids.iter().flat_map(|g| g.to_be_bytes()).collect();
                    content.show(Str(&bytes));
                }
            }
        }
        content.end_text();
    }
}

fn compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

fn draw_code128(content: &mut Content, data: &str, x: f32, y: f32, max_width: f32, height: f32) -> Result<(), DriverError> {
    let widths = code128::widths(data).ok_or_else(|| DriverError::input("追溯卡号无法编码为Code 128条码"))?;
    let modules: u32 = widths.iter().map(|&w| u32::from(w)).sum();
    // 10-module quiet zones on both sides.
    let module = (max_width / (modules + 20) as f32).min(1.2);
    let mut pos = x + 10.0 * module;
    for (i, &w) in widths.iter().enumerate() {
        let w = f32::from(w) * module;
        if i % 2 == 0 {
            content.rect(pos, y, w, height);
        }
        pos += w;
    }
    content.fill_nonzero();
    Ok(())
}

fn draw_qr(content: &mut Content, data: &str, x: f32, y: f32, size: f32) -> Result<(), DriverError> {
    let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
        .map_err(|e| DriverError::internal(format!("二维码生成失败：{e}")))?;
    let n = code.width();
    let colors = code.to_colors();
    // 4-module quiet zone.
    let m = size / (n + 8) as f32;
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (col, row) = (i % n, i / n);
            content.rect(x + (col + 4) as f32 * m, y + size - (row + 5) as f32 * m, m, m);
        }
    }
    content.fill_nonzero();
    Ok(())
}

/// The label as a PDF.
pub fn render_pdf(job: &PrintJob) -> Result<Vec<u8>, DriverError> {
    let card = &job.card;
    let mut fonts = Fonts::new()?;
    let mut content = Content::new();
    content.set_fill_gray(0.0);

    let text_width = PAGE_W - 2.0 * MARGIN;
    let left_width = text_width - QR_SIZE - 8.0;
    let top = PAGE_H - MARGIN;
    fonts.text(&mut content, &job.title, MARGIN, top - 11.0, 12.0, left_width);
    draw_qr(&mut content, &card.card_no, PAGE_W - MARGIN - QR_SIZE, top - QR_SIZE, QR_SIZE)?;
    let bar_bottom = top - 18.0 - 34.0;
    draw_code128(&mut content, &card.card_no, MARGIN, bar_bottom, left_width, 34.0)?;
    fonts.text(&mut content, &card.card_no, MARGIN + 12.0, bar_bottom - 11.0, 10.0, left_width);
    let mut y = bar_bottom - 25.0;
    // The lines the host sent; the first (the card number) is under the barcode.
    for line in job.lines.iter().skip(1) {
        fonts.text(&mut content, &line.text(), MARGIN, y, 8.5, text_width);
        y -= 11.5;
    }
    let content = content.finish();

    let mut alloc = Ref::new(1);
    let mut next = || alloc.bump();
    let (catalog, tree, info) = (next(), next(), next());
    let (latin, type0, cid, descriptor, cmap, font_file, content_id) = (next(), next(), next(), next(), next(), next(), next());
    let pages: Vec<Ref> = (0..job.copies).map(|_| next()).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(pages.iter().copied()).count(pages.len() as i32);
    for &p in &pages {
        let mut page = pdf.page(p);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(tree).contents(content_id);
        page.resources().fonts().pair(LATIN, latin).pair(CJK, type0);
        page.finish();
    }
    pdf.stream(content_id, &compress(&content)).filter(Filter::FlateDecode);
    pdf.document_info(info)
        .title(TextStr(&format!("{} {}", job.title, card.card_no)))
        .producer(TextStr("cotton-printer-pdf"));

    pdf.type1_font(latin).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));

    let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(type0)
        .base_font(Name(FONT_NAME))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    {
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(Name(FONT_NAME))
            .system_info(system_info)
            .font_descriptor(descriptor)
            .default_width(1000.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = cid_font.widths();
        for (&gid, &(_, w)) in &fonts.used {
            widths.consecutive(gid, [w]);
        }
    }
    let face = &fonts.face;
    let scale = 1000.0 / f32::from(face.units_per_em());
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(Name(FONT_NAME))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(face.ascender()) * scale)
        .descent(f32::from(face.descender()) * scale)
        .cap_height(f32::from(face.ascender()) * scale)
        .stem_v(80.0)
        .font_file2(font_file);

    let mut unicode = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system_info);
    for (&gid, &(c, _)) in &fonts.used {
        unicode.pair(gid, c);
    }
    let cmap_bytes = unicode.finish();
    pdf.cmap(cmap, &cmap_bytes);

    let subset = subsetter::subset(FONT, 0, &fonts.remapper).map_err(|e| DriverError::internal(format!("字体子集生成失败：{e}")))?;
    pdf.stream(font_file, &compress(&subset))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), subset.len() as i32);

    Ok(pdf.finish())
}

#[derive(Default)]
pub struct PdfPrinter;

impl PrinterDriver for PdfPrinter {
    fn info(&self) -> PrinterInfo {
        PrinterInfo { output: FileType::new("application/pdf", "pdf") }
    }

    fn render(&self, job: &PrintJob) -> Result<Vec<u8>, DriverError> {
        render_pdf(job)
    }
}

cotton_plugin_abi::export_printer!(
    name: "cotton-printer-pdf",
    model: "PDF",
    version: env!("CARGO_PKG_VERSION"),
    description: "PDF标签（100×75毫米，内嵌中文字体）",
    driver: PdfPrinter,
);
