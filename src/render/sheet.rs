//! The contact sheet: every pose of every entry as a labelled thumbnail on one PNG, for reviewing the
//! whole catalog at a glance. Labels use the bundled 8×8 bitmap font, so no font file is needed.

use font8x8::{BASIC_FONTS, UnicodeFonts};
use tiny_skia::{IntSize, Pixmap, PixmapPaint, Transform};

use super::{RenderError, draw, figure};
use crate::domain::catalog::Catalog;

const THUMB_WIDTH: u32 = 200;
const THUMB_HEIGHT: u32 = 150;
const COLUMNS: u32 = 6;
const GAP: u32 = 6;
/// Two label lines (entry id, pose name) of 8-pixel glyphs under each thumbnail.
const LABEL_HEIGHT: u32 = 22;
const SHEET_BACKGROUND: [u8; 3] = [0xFF, 0xFF, 0xFF];
const LABEL: [u8; 4] = [0x22, 0x22, 0x22, 0xFF];

pub fn contact_sheet(catalog: &Catalog) -> Result<Vec<u8>, RenderError> {
    let cells: Vec<_> = catalog
        .entries()
        .iter()
        .flat_map(|entry| {
            entry
                .illustration
                .poses
                .iter()
                .map(move |pose| (entry, pose))
        })
        .collect();
    let rows = (cells.len() as u32).div_ceil(COLUMNS).max(1);
    let cell_width = THUMB_WIDTH + GAP;
    let cell_height = THUMB_HEIGHT + LABEL_HEIGHT + GAP;
    let (width, height) = (COLUMNS * cell_width + GAP, rows * cell_height + GAP);
    let mut sheet = Pixmap::new(width, height).ok_or(RenderError::Size(width, height))?;
    sheet.fill(figure::colour(SHEET_BACKGROUND));
    for (index, (entry, pose)) in cells.iter().enumerate() {
        let (column, row) = (index as u32 % COLUMNS, index as u32 / COLUMNS);
        let (x, y) = (GAP + column * cell_width, GAP + row * cell_height);
        let frame = figure::Frame::for_entry(entry, THUMB_WIDTH, THUMB_HEIGHT)?;
        let thumb = draw(
            entry,
            &frame,
            &pose.figure(),
            pose,
            true,
            THUMB_WIDTH,
            THUMB_HEIGHT,
        )?;
        sheet.draw_pixmap(
            x as i32,
            y as i32,
            thumb.as_ref(),
            &PixmapPaint::default(),
            Transform::identity(),
            None,
        );
        let label_y = y + THUMB_HEIGHT + 3;
        write_label(&mut sheet, x, label_y, entry.id.as_str());
        write_label(&mut sheet, x, label_y + 10, &pose.name);
    }
    sheet
        .encode_png()
        .map_err(|err| RenderError::Png(err.to_string()))
}

/// Writes `text` at one pixel per font dot, cut to the thumbnail's width.
fn write_label(sheet: &mut Pixmap, x: u32, y: u32, text: &str) {
    let size = IntSize::from_wh(sheet.width(), sheet.height());
    let Some(size) = size else { return };
    let width = size.width();
    let pixels = sheet.data_mut();
    let most = (THUMB_WIDTH / 8) as usize;
    for (index, glyph) in text
        .chars()
        .take(most)
        .filter_map(|c| BASIC_FONTS.get(c))
        .enumerate()
    {
        for (dy, bits) in glyph.iter().enumerate() {
            for dx in 0..8u32 {
                if bits & (1 << dx) != 0 {
                    let px = x + index as u32 * 8 + dx;
                    let py = y + dy as u32;
                    let offset = ((py * width + px) * 4) as usize;
                    if let Some(pixel) = pixels.get_mut(offset..offset + 4) {
                        pixel.copy_from_slice(&LABEL);
                    }
                }
            }
        }
    }
}
