//! `cargo xtask bench import`: customer files imported through the release server, on the
//! embedded SQLite default and on PostgreSQL, in one run — a `;`-separated CSV and an `.xlsx`
//! of `CUBE_BENCH_ROWS` new customers each (default 100,000; a CSV may hold up to 1,000,000
//! rows, read row by row from disk; an `.xlsx` at most 200,000, so its file holds
//! `min(CUBE_BENCH_ROWS, 200,000)`), posted to `POST /api/data-owners/{id}/customers/import-file` and followed to the
//! end of its job: rows per second from the upload to the job's end, and the server's
//! resident memory before and its peak after (`VmRSS`, `VmHWM`), and how long the first
//! pass took (the upload answered: the file read and every row checked) beside the writing.
//! On SQLite both files go into one demo. On PostgreSQL each file goes into a fresh demo
//! database of its own, and the customers that file created are then written again under
//! new ids with `COPY` into the same tables and indexes of that database (customers with
//! every column the import stored, the search text included, then their enrollments,
//! triggers on), in one transaction: the floor that file's import is measured against —
//! the same rows, in the same database, right after. (Until 2026-12-08 both files went into
//! one database and both were measured against a `COPY` of the CSV's rows after both: the
//! second file met the first one's 100,000 customers in every index, and the `.xlsx`, always
//! second, came out 5–15 points below what it made on a fresh database.)
//!
//! Environment: `DATABASE_URL` (PostgreSQL; without it only SQLite runs), `CUBE_BENCH_ROWS`.

mod common;

use common::{
    SALES, Servers, Throwaway, free_port, id_by_name, log_in, memory, server, unique,
    wait_until_ready,
};
use rust_xlsxwriter::Workbook;
use serde_json::Value;
use sqlx::Connection;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The most rows an `.xlsx` may have (its reader holds the workbook whole).
const XLSX_MAX_ROWS: usize = 200_000;

/// One import measured.
struct Measured {
    store: &'static str,
    file: &'static str,
    rows: usize,
    bytes: usize,
    seconds: f64,
    /// From the upload to the answer that started the job: the file read and every row
    /// checked (the first pass); the rest is the job's writing.
    first_pass: f64,
    created: u64,
    rss_before_mb: f64,
    peak_mb: f64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::var("CUBE_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut measured = Vec::new();
    let mut copies = Vec::new();

    let dir = std::env::temp_dir().join(format!("cube-bench-import-{}", unique()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = format!("sqlite://{}", dir.join("cube.db").display());
    let result = measure(
        "SQLite",
        &sqlite,
        rows,
        &[File::Csv, File::Xlsx],
        &mut measured,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result?;

    if std::env::var("DATABASE_URL").is_ok() {
        for file in [File::Csv, File::Xlsx] {
            let database =
                Throwaway::create("cube_bench_import", "cargo xtask bench import").await?;
            let result = async {
                let owner =
                    measure("PostgreSQL", &database.url, rows, &[file], &mut measured).await?;
                let (copied, seconds) =
                    copy_same_rows(&database.url, &owner, file.rows(rows)).await?;
                copies.push((file, copied, seconds));
                Ok::<_, Box<dyn std::error::Error>>(())
            }
            .await;
            database.drop_now().await;
            result?;
        }
    } else {
        eprintln!("DATABASE_URL is not set: PostgreSQL and its COPY are left out");
    }

    println!("{}", table(&measured, &copies));
    Ok(())
}

/// The demo's data owner and sales assignment the files went into.
struct Imported {
    data_owner: String,
    assignment: String,
}

/// A file the bench imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Csv,
    Xlsx,
}

impl File {
    /// Its rows when `CUBE_BENCH_ROWS` is `rows`.
    fn rows(self, rows: usize) -> usize {
        match self {
            File::Csv => rows,
            File::Xlsx => rows.min(XLSX_MAX_ROWS),
        }
    }
    /// Its extension as the table shows it.
    fn name(self) -> &'static str {
        match self {
            File::Csv => ".csv",
            File::Xlsx => ".xlsx",
        }
    }
}

/// `files`, in order, into a fresh demo on `database`.
async fn measure(
    store: &'static str,
    database: &str,
    rows: usize,
    files: &[File],
    measured: &mut Vec<Measured>,
) -> Result<Imported, Box<dyn std::error::Error>> {
    eprintln!("{store}: loading the demo …");
    let status = server(database).arg("demo").status()?;
    if !status.success() {
        return Err(format!("loading the demo failed: {status}").into());
    }
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let child = server(database)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "serve",
            "--no-demo",
        ])
        .spawn()?;
    let pid = child.id();
    let _server = Servers(vec![child]);
    let client = reqwest::Client::new();
    wait_until_ready(&client, &base).await?;
    let token = log_in(&client, &base, "admin@demo.example.com").await?;
    let assignments: Value = client
        .get(format!("{base}/api/assignments"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let assignment = id_by_name(&assignments, SALES)?;
    let data_owner = assignments
        .as_array()
        .and_then(|list| list.iter().find(|a| a["id"] == assignment.as_str()))
        .and_then(|a| a["data_owner"].as_str())
        .ok_or("the sales assignment names no data owner")?
        .to_owned();

    for &which in files {
        // The .xlsx's rows are numbered after the CSV's, so in one demo both are new.
        let (file, rows, bytes) = match which {
            File::Csv => ("csv", which.rows(rows), csv_file(rows, 0)),
            File::Xlsx => ("xlsx", which.rows(rows), xlsx_file(which.rows(rows), rows)?),
        };
        let rss_before_mb = memory(pid, "VmRSS:");
        eprintln!(
            "{store}: importing {rows} rows from .{file} ({} bytes) …",
            bytes.len()
        );
        let size = bytes.len();
        let started = Instant::now();
        let answer = client
            .post(format!(
                "{base}/api/data-owners/{data_owner}/customers/import-file?assignment={assignment}&dataset=b2b&file_name=bench.{file}"
            ))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await?;
        let first_pass = started.elapsed().as_secs_f64();
        let status = answer.status();
        let location = answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let body = answer.text().await?;
        let location = location.ok_or_else(|| format!("the import answered {status}: {body}"))?;
        let job = loop {
            let job: Value = client
                .get(format!("{base}{location}"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            if job["status"] != "running" {
                break job;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let seconds = started.elapsed().as_secs_f64();
        if job["status"] != "done" {
            return Err(format!("the {file} import did not finish: {job}").into());
        }
        measured.push(Measured {
            store,
            file: which.name(),
            rows,
            bytes: size,
            seconds,
            first_pass,
            created: job["report"]["created"].as_u64().unwrap_or_default(),
            rss_before_mb,
            peak_mb: memory(pid, "VmHWM:"),
        });
    }
    Ok(Imported {
        data_owner,
        assignment,
    })
}

/// Row `i` of the files: a company with a mobile number no other row has.
fn row(i: usize) -> [String; 7] {
    [
        format!("Bedrift {i} AS"),
        format!("{}", 40_000_000 + i),
        format!("post{i}@bedrift{i}.no"),
        format!("Storgata {}", i % 200 + 1),
        format!("{:04}", i % 9000 + 100),
        "Oslo".to_owned(),
        format!("B-{i}"),
    ]
}

const HEADERS: [&str; 7] = [
    "Navn", "Mobil", "E-post", "Adresse", "Postnr", "Poststed", "Kundenr",
];

/// `rows` rows from `first` on as Norwegian Excel's CSV (`;`, CRLF).
fn csv_file(rows: usize, first: usize) -> Vec<u8> {
    let mut out = HEADERS.join(";");
    out.push_str("\r\n");
    for i in first..first + rows {
        out.push_str(&row(i).join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// `rows` rows from `first` on as a workbook, the mobile and postal code as number cells (as
/// Excel keeps what looks like a number).
fn xlsx_file(rows: usize, first: usize) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in HEADERS.iter().enumerate() {
        sheet.write_string(0, column as u16, *header)?;
    }
    for (index, i) in (first..first + rows).enumerate() {
        let r = u32::try_from(index + 1)?;
        let cells = row(i);
        for (column, value) in cells.iter().enumerate() {
            let column = column as u16;
            if column == 1 || column == 4 {
                sheet.write_number(r, column, value.parse::<f64>()?)?;
            } else {
                sheet.write_string(r, column, value)?;
            }
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// The first `rows` customers the import created, written again with `COPY` under new ids (customers,
/// then one enrollment each in the same assignment), in one transaction: seconds.
async fn copy_same_rows(
    url: &str,
    imported: &Imported,
    rows: usize,
) -> Result<(usize, f64), Box<dyn std::error::Error>> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let owner: uuid::Uuid = imported.data_owner.parse()?;
    let assignment: uuid::Uuid = imported.assignment.parse()?;
    // Every column the import stored, so the rows are the same rows: the search text (its
    // trigram index is half of a customer's insert), the dataset, the contact facts.
    let stored: Vec<StoredCustomer> = sqlx::query_as(
        "SELECT external_id, phones, data::text, dataset, search_text, contact_block, \
         register_checked::text, registry_key FROM customers \
         WHERE data_owner_id = $1 AND external_id LIKE 'B-%' ORDER BY seq LIMIT $2",
    )
    .bind(owner)
    .bind(i64::try_from(rows)?)
    .fetch_all(&mut conn)
    .await?;
    let (state, category, sequence): (uuid::Uuid, String, i64) = sqlx::query_as(
        "SELECT state_id, category, (SELECT max(sequence) + 1 FROM enrollments WHERE assignment_id = $1) \
         FROM enrollments WHERE assignment_id = $1 ORDER BY sequence DESC LIMIT 1",
    )
    .bind(assignment)
    .fetch_one(&mut conn)
    .await?;
    // The same rows under new ids, as COPY's text format (tab-separated, `\N` for null).
    let mut customers = String::new();
    let mut enrollments = String::new();
    for (n, (external_id, phones, data, dataset, search_text, block, checked, registry)) in
        stored.iter().enumerate()
    {
        let id = uuid::Uuid::now_v7();
        let old = data
            .split("\"id\": \"")
            .nth(1)
            .and_then(|rest| rest.get(..36))
            .unwrap_or_default();
        let data = data.replace(old, &id.to_string());
        let external = external_id
            .as_deref()
            .map_or_else(|| "\\N".to_owned(), |e| format!("{e}-copy"));
        let phones = format!("{{{}}}", phones.join(","));
        let data = copy_text(Some(&data));
        let facts =
            [dataset, search_text, block, checked, registry].map(|v| copy_text(v.as_deref()));
        writeln!(
            customers,
            "{id}\t{owner}\t{external}\t{phones}\t{data}\t{}",
            facts.join("\t")
        )?;
        writeln!(
            enrollments,
            "{}\t{assignment}\t{id}\t{state}\t{category}\t0\t{}\t2026-12-06T10:00:00Z",
            uuid::Uuid::now_v7(),
            sequence + i64::try_from(n)?
        )?;
    }
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    let mut copy = tx
        .copy_in_raw(
            "COPY customers (id, data_owner_id, external_id, phones, data, dataset, search_text, \
             contact_block, register_checked, registry_key) FROM STDIN",
        )
        .await?;
    copy.send(customers.into_bytes()).await?;
    copy.finish().await?;
    let mut copy = tx
        .copy_in_raw(
            "COPY enrollments (id, assignment_id, customer_id, state_id, category, attempts, sequence, enrolled_at) FROM STDIN",
        )
        .await?;
    copy.send(enrollments.into_bytes()).await?;
    copy.finish().await?;
    tx.commit().await?;
    Ok((stored.len(), started.elapsed().as_secs_f64()))
}

/// A customer as stored: external id, phones, the document, dataset, search text, contact
/// block, register check date, registry key.
type StoredCustomer = (
    Option<String>,
    Vec<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A value in `COPY`'s text format: `\N` for null, backslash, tab and line breaks escaped.
fn copy_text(value: Option<&str>) -> String {
    value.map_or_else(
        || "\\N".to_owned(),
        |v| {
            v.replace('\\', "\\\\")
                .replace('\t', "\\t")
                .replace('\n', "\\n")
                .replace('\r', "\\r")
        },
    )
}

fn table(measured: &[Measured], copies: &[(File, usize, f64)]) -> String {
    let mut out = String::from(
        "| Store | File | Rows | File size | Seconds | First pass | Writing | Rows/s | Created | Server RSS before | Server peak RSS |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in measured {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} MB | {:.1} | {:.1} | {:.1} | {:.0} | {} | {:.0} MB | {:.0} MB |",
            m.store,
            m.file,
            m.rows,
            m.bytes as f64 / 1e6,
            m.seconds,
            m.first_pass,
            m.seconds - m.first_pass,
            m.rows as f64 / m.seconds,
            m.created,
            m.rss_before_mb,
            m.peak_mb
        );
    }
    for (file, rows, seconds) in copies {
        let copy_rate = *rows as f64 / seconds;
        let _ = writeln!(
            out,
            "\nPostgreSQL `COPY` of the same {rows} customers as the {} import created (every stored column) and their enrollments, in its database right after it (same tables, indexes and triggers, one transaction): {seconds:.2} s, {copy_rate:.0} rows/s.",
            file.name()
        );
        for m in measured
            .iter()
            .filter(|m| m.store == "PostgreSQL" && m.file == file.name())
        {
            let rate = m.rows as f64 / m.seconds;
            let _ = writeln!(
                out,
                "- the {} import: {:.0}% of COPY's rate",
                m.file,
                100.0 * rate / copy_rate
            );
        }
    }
    out
}
