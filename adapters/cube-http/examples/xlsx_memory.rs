//! What rust_xlsxwriter's constant-memory sheet holds while a large export is written
//! (issue 16: a 1,000,000-outcome `.xlsx` grew the server by 94 MB): rows shaped as the
//! outcome export's (a local date-time, texts, a count, money in NOK's format, a note) are
//! written into a constant-memory sheet, then the workbook is saved to an unlinked temporary
//! file, as `table::to_xlsx` does. Prints the resident set (`/proc/self/status`, Linux)
//! before, after the rows, and after the save, with the peak: whether the writer itself
//! grows with the rows.
//!
//! `cargo run --release -p cube-http --example xlsx_memory -- 1000000`

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::io::Seek;

type Error = Box<dyn std::error::Error>;

/// A line of `/proc/self/status` in MB (`VmRSS`, `VmHWM`); 0 where there is none.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() -> Result<(), Error> {
    let rows: u32 = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let before = status_mb("VmRSS:");
    let mut workbook = Workbook::new();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let money = Format::new().set_num_format("#,##0.00 \"NOK\"");
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("Utfall")?;
    for col in 0..15u16 {
        sheet.write_string(0, col, format!("column {col}"))?;
    }
    let day = ExcelDateTime::from_ymd(2026, 12, 7)?;
    for r in 1..=rows {
        let at = day
            .clone()
            .and_hms(8 + (r % 10) as u16, (r % 60) as u8, 0.0)?;
        sheet.write_datetime_with_format(r, 0, &at, &when)?;
        sheet.write_string(r, 1, format!("Bedrift {r} AS"))?;
        sheet.write_string(r, 2, format!("0190f1c2-7a4e-7c3b-9a51-{r:012}"))?;
        sheet.write_string(r, 3, "Selger Sara")?;
        sheet.write_string(r, 4, "Salg")?;
        sheet.write_string(r, 6, "Ja")?;
        sheet.write_string(r, 9, "1 × Strøm Fastpris")?;
        sheet.write_number(r, 10, 1.0)?;
        sheet.write_number_with_format(r, 11, 1497.0, &money)?;
        sheet.write_string(r, 12, "NOK")?;
        sheet.write_string(r, 13, format!("samtale {r} — Ødegård"))?;
        sheet.write_string(r, 14, "verdi")?;
    }
    let written = status_mb("VmRSS:");
    let sheet = workbook.worksheet_from_index(0)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows, 14)?;
    let mut out = tempfile::tempfile()?;
    workbook.save_to_writer(&mut out)?;
    let size = out.stream_position()? as f64 / 1e6;
    let saved = status_mb("VmRSS:");
    let peak = status_mb("VmHWM:");
    println!(
        "rows {rows}: file {size:.1} MB; RSS before {before:.1} MB, after the rows {written:.1} MB \
         (+{:.1}), after the save {saved:.1} MB (+{:.1}), peak {peak:.1} MB (+{:.1})",
        written - before,
        saved - before,
        peak - before
    );
    Ok(())
}
