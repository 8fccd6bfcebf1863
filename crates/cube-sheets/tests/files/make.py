#!/usr/bin/env python3
"""Make the customer-import fixture files in this folder.

Run from this folder:  python3 make.py
Needs: LibreOffice (`soffice`, Debian package libreoffice-calc) and openpyxl.
Only the standard library and openpyxl are used; the spreadsheets are written
(or re-saved) by LibreOffice so that they hold what a real office suite writes.

The data is fixed, so every run gives the same cell contents. LibreOffice
stamps creation times into the spreadsheet metadata, so the spreadsheet bytes
differ between runs; the CSV/TXT files and the zip files written here by
Python are byte-for-byte the same every run.
"""

import csv
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))

HEADER = [
    "Navn", "Telefon", "Mobil", "E-post", "Adresse", "Postnr", "Poststed",
    "Orgnr", "Kundenr", "Bransje", "Ansatte", "Startdato",
]

# Every phone number is valid for Norway per libphonenumber (mobiles 4x/9x,
# the landline 22334455 is Oslo). Orgnr values pass the MOD11 check.
CUSTOMERS = [
    ["Bær & Sønn AS", "91234567", "98765432", "post@baer-sonn.no",
     "Storgata 1", "0150", "Oslo", "987654325", "K-1001", "Bygg", "12",
     "2024-03-15"],
    ["Østlandske Rør AS", "+47 912 34 568", "", "kontakt@ostlandske-ror.no",
     "Rørleggerveien 7", "0468", "Oslo", "923456783", "K-1002", "Rørlegger",
     "34", "2023-11-01"],
    ["Ærlige Åse ENK", "004791234569", "41234567", "ase@aerlige-ase.no",
     "Åsveien 3", "5003", "Bergen", "812345672", "K-1003", "Regnskap", "1",
     "2025-01-02"],
    ["Kvalitet Bygg AS", "912 34 570", "", "",
     "Kirkegata 15", "7010", "Trondheim", "975312461", "K-1004", "Bygg", "8",
     "2022-06-30"],
    ["Blåbær Bakeri AS", "22334455", "45678901", "bestilling@blabaer.no",
     "Bakkegata 22", "4006", "Stavanger", "998877660", "K-1005", "Bakeri",
     "23", "2021-09-09"],
    ["Tromsø Isfiske AS", "+4741234571", "+47 987 65 433",
     "firma@tromso-isfiske.no", "Havnegata 5", "9008", "Tromsø", "918273646",
     "K-1006", "Fiske", "57", "2020-12-31"],
]

# Only in customers-semicolon-cp1252.csv (Norwegian Excel: comma decimals).
OMSETNING = ["1234,50", "987654,00", "0,00", "15000,75", "2500000,10",
             "43210,99"]

# CSV import options for LibreOffice: field separator 44 (,), text delimiter
# 34 ("), character set 76 (UTF-8), start at line 1.
CSV_INFILTER = "CSV:44,34,76,1"

PROFILE = None  # a throw-away LibreOffice user profile, set in main()


def path(name):
    return os.path.join(HERE, name)


def write_csv(name, rows, *, delimiter=",", lineterminator="\n",
              encoding="utf-8", bom=b""):
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator,
                   quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        w.writerow(row)
    data = bom + buf.getvalue().encode(encoding)
    with open(name if os.path.isabs(name) else path(name), "wb") as f:
        f.write(data)


def soffice(args, outdir, src):
    cmd = ["soffice", "-env:UserInstallation=file://" + PROFILE, "--headless",
           "--norestore"] + args + ["--outdir", outdir, src]
    print("  $", " ".join(cmd[:1] + cmd[2:]))
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def csv_to(fmt, src, outdir=HERE):
    """Let LibreOffice import a UTF-8 comma CSV and save it as fmt."""
    soffice(["--infilter=" + CSV_INFILTER, "--convert-to", fmt], outdir, src)


def resave(src, fmt="xlsx", outdir=HERE):
    """Open a spreadsheet in LibreOffice and save it again (as fmt)."""
    soffice(["--convert-to", fmt], outdir, src)


# ---------------------------------------------------------------- CSV / text

def make_customers_csv():
    write_csv("customers.csv", [HEADER] + CUSTOMERS)


def make_semicolon_cp1252():
    rows = [HEADER + ["Omsetning"]]
    for c, oms in zip(CUSTOMERS, OMSETNING):
        r = list(c)
        if r[8] == "K-1001":
            r[4] = "Storgata 1\r\nBakgården"      # line break in a cell
        if r[8] == "K-1004":
            r[0] = '"Kvalitet" Bygg AS'           # quotes in a cell
        rows.append(r + [oms])
    write_csv("customers-semicolon-cp1252.csv", rows, delimiter=";",
              lineterminator="\r\n", encoding="cp1252")


def make_bom_semicolon():
    write_csv("customers-bom-semicolon.csv", [HEADER] + CUSTOMERS,
              delimiter=";", lineterminator="\r\n", encoding="utf-8",
              bom=b"\xef\xbb\xbf")


def make_utf16_tab():
    write_csv("customers-utf16-tab.txt", [HEADER] + CUSTOMERS,
              delimiter="\t", lineterminator="\r\n", encoding="utf-16-le",
              bom=b"\xff\xfe")


# Records are terminated by LF, except the one marked CRLF below; the file
# ends with a LF. The bytes are written literally so every case is visible.
EDGE_CSV = (
    'a,b,c\n'
    '"1,5","comma, inside",plain\n'           # quoted fields with commas
    '"line1\nline2",lf,x\n'                   # embedded LF
    '"line1\r\nline2",crlf,x\n'               # embedded CRLF
    '"say ""hi""","""",x\n'                   # escaped quotes; a lone quote
    ',,\n'                                    # three empty fields
    '"",x,""\n'                               # quoted empty fields
    'x,y,\n'                                  # trailing comma: last is empty
    'æøå,ÆØÅ,🦀 krabbe\n'                     # UTF-8 multibyte, 4-byte emoji
    '  leading,trailing  ,  both  \n'         # spaces kept as they are
    '" quoted spaces ",b,c\r\n'               # this record ends with CRLF
    'last,row,here\n'
)

EDGE_EXPECTED = [
    ["a", "b", "c"],
    ["1,5", "comma, inside", "plain"],
    ["line1\nline2", "lf", "x"],
    ["line1\r\nline2", "crlf", "x"],
    ['say "hi"', '"', "x"],
    ["", "", ""],
    ["", "x", ""],
    ["x", "y", ""],
    ["æøå", "ÆØÅ", "🦀 krabbe"],
    ["  leading", "trailing  ", "  both  "],
    [" quoted spaces ", "b", "c"],
    ["last", "row", "here"],
]


def make_edge():
    with open(path("edge.csv"), "wb") as f:
        f.write(EDGE_CSV.encode("utf-8"))
    with open(path("edge.csv"), newline="", encoding="utf-8") as f:
        parsed = list(csv.reader(f))
    if parsed != EDGE_EXPECTED:
        sys.exit("edge.csv: Python's csv module disagrees with the "
                 "hand-written expectation:\n%r" % parsed)
    with open(path("edge.expected.json"), "w", encoding="utf-8",
              newline="\n") as f:
        # One record per line, so the file reads like the CSV.
        f.write("[\n" + ",\n".join(" " + json.dumps(r, ensure_ascii=False)
                                    for r in parsed) + "\n]\n")


def make_ragged():
    rows = [
        ["Navn", "Telefon", "E-post", "Kundenr"],
        ["Bær & Sønn AS", "91234567", "post@baer-sonn.no", "K-1001"],
        ["Østlandske Rør AS", "+47 912 34 568", "kontakt@ostlandske-ror.no"],
        ["Ærlige Åse ENK", "004791234569", "ase@aerlige-ase.no", "K-1003"],
        ["Kvalitet Bygg AS", "912 34 570", "", "K-1004", "ekstra"],
        ["Blåbær Bakeri AS", "22334455", "bestilling@blabaer.no", "K-1005"],
    ]
    write_csv("ragged.csv", rows)


# ---------------------------------------------------------- spreadsheets (LO)

def make_customers_sheets():
    src = path("customers.csv")
    csv_to("xlsx", src)
    csv_to("ods", src)
    csv_to('xls:MS Excel 97', src)


def make_empty_rows(tmp):
    # A CSV with two empty lines between data rows 2 and 3; LibreOffice's
    # CSV import keeps them as empty rows (checked in verify()).
    src = os.path.join(tmp, "empty-rows.csv")
    write_csv(src, [HEADER] + CUSTOMERS[:2] + [[], []] + CUSTOMERS[2:])
    csv_to("xlsx", src)


def customer_cells():
    """Header + data rows as LibreOffice typed them in customers.xlsx."""
    wb = openpyxl.load_workbook(path("customers.xlsx"))
    ws = wb.worksheets[0]
    return [[(c.value, c.number_format) for c in row]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row,
                                    max_col=len(HEADER))]


def put_row(ws, r, cells):
    for i, (value, fmt) in enumerate(cells, start=1):
        if value is None:
            continue
        cell = ws.cell(row=r, column=i, value=value)
        cell.number_format = fmt


def make_wrong_types(tmp):
    cells = customer_cells()
    good = cells[1:3]          # K-1001 and K-1002, as LibreOffice typed them
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunder"
    put_row(ws, 1, cells[0])
    put_row(ws, 2, good[0])
    bad = [
        ["Feil Telefon AS", "ring meg", "", "post@feiltelefon.no",
         "Telefonveien 1", 150, "Oslo", 987654325, "K-2001", "Bygg", 3,
         None],
        ["Feil Epost AS", 91234567, "", "ikke en adresse", "Epostgata 2",
         5003, "Bergen", 923456783, "K-2002", "Handel", 4, None],
        ["Mange Ansatte AS", 22334455, "", "hei@mange-ansatte.no",
         "Tellegata 3", 7010, "Trondheim", 812345672, "K-2003", "Konsulent",
         "mange", None],
        [None, 41234567, "", "navnlos@example.no", "Ukjentveien 4", 4006,
         "Stavanger", 975312461, "K-2004", "Ukjent", 5, None],
    ]
    for i, row in enumerate(bad, start=3):
        for j, v in enumerate(row, start=1):
            if v not in (None, ""):
                ws.cell(row=i, column=j, value=v)
        ws.cell(row=i, column=12, value=cells[1][11][0]).number_format = \
            cells[1][11][1]
    put_row(ws, 3 + len(bad), good[1])
    src = os.path.join(tmp, "wrong-types.xlsx")
    wb.save(src)
    resave(src)


def make_merged_header(tmp):
    cells = customer_cells()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunder"
    ws["A1"] = "Kundeliste 2026"
    ws["A1"].font = openpyxl.styles.Font(bold=True, size=14)
    ws.merge_cells("A1:L1")
    for r, row in enumerate(cells, start=2):
        put_row(ws, r, row)
    src = os.path.join(tmp, "merged-header.xlsx")
    wb.save(src)
    resave(src)


def make_two_sheets(tmp):
    cells = customer_cells()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunder"
    for r, row in enumerate(cells, start=1):
        put_row(ws, r, row)
    notes = wb.create_sheet("Notater")
    for row in [
        ["Dato", "Notat"],
        ["uke 12", "Ring Bær & Sønn om ny avtale"],
        ["uke 14", "Østlandske Rør vil ha faktura på e-post"],
        ["uke 15", "Husk å sjekke orgnr før import"],
    ]:
        notes.append(row)
    src = os.path.join(tmp, "two-sheets.xlsx")
    wb.save(src)
    resave(src, "xlsx")
    resave(src, "ods")


# ------------------------------------------------------------ broken on purpose

def make_truncated():
    data = open(path("customers.xlsx"), "rb").read()
    with open(path("truncated.xlsx"), "wb") as f:
        f.write(data[: int(len(data) * 0.6)])


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Kunder" sheetId="1" r:id="rId1"/>'
    '</sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main"><sheetData>')
SHEET_TAIL = '</sheetData></worksheet>'
SMALL_SHEET = (SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>Navn'
               '</t></is></c></row>' + SHEET_TAIL)


def zput(zf, name, data, force_zip64=False):
    # Opening by name gives a ZipInfo dated 1980-01-01 (deterministic) that
    # uses the ZipFile's compression and level.
    with zf.open(name, "w", force_zip64=force_zip64) as f:
        if isinstance(data, str):
            data = data.encode("utf-8")
        f.write(data)


def xlsx_skeleton(zf, with_sheet=True):
    zput(zf, "[Content_Types].xml", CONTENT_TYPES)
    zput(zf, "_rels/.rels", ROOT_RELS)
    zput(zf, "xl/workbook.xml", WORKBOOK)
    zput(zf, "xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    if with_sheet:
        zput(zf, "xl/worksheets/sheet1.xml", SMALL_SHEET)


BOMB_SIZE = 1 << 30  # uncompressed size of xl/worksheets/sheet1.xml


def make_bomb():
    with zipfile.ZipFile(path("bomb.xlsx"), "w", zipfile.ZIP_DEFLATED,
                         compresslevel=9) as zf:
        xlsx_skeleton(zf, with_sheet=False)
        # Well-formed XML: the head, 1 GiB minus head and tail of spaces
        # inside <sheetData>, the tail.
        pad = BOMB_SIZE - len(SHEET_HEAD) - len(SHEET_TAIL)
        chunk = b" " * (1 << 20)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(SHEET_HEAD.encode())
            while pad > 0:
                n = min(pad, len(chunk))
                f.write(chunk[:n])
                pad -= n
            f.write(SHEET_TAIL.encode())


MANY_ENTRIES = 20000


def make_many_entries():
    with zipfile.ZipFile(path("many-entries.xlsx"), "w",
                         zipfile.ZIP_STORED) as zf:
        xlsx_skeleton(zf)
        for i in range(MANY_ENTRIES):
            zput(zf, "x/%d" % i, b"")


def make_not_a_sheet():
    # A 1x1 white PNG, named .xlsx.
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff", 9)) +
           chunk(b"IEND", b""))
    with open(path("not-a-sheet.xlsx"), "wb") as f:
        f.write(png)


# ------------------------------------------------------------------ checks

def describe(value):
    return "%s %r" % (type(value).__name__, value)


def verify():
    print("checks:")
    ok = True

    def fail(msg):
        nonlocal ok
        ok = False
        print("  FAIL", msg)

    for name in ["customers.xlsx", "empty-rows.xlsx", "wrong-types.xlsx",
                 "merged-header.xlsx", "two-sheets.xlsx"]:
        wb = openpyxl.load_workbook(path(name))
        print("  %s: sheets %s, %s" % (
            name, wb.sheetnames,
            ", ".join("%s %dx%d" % (ws.title, ws.max_row, ws.max_column)
                      for ws in wb.worksheets)))
    ws = openpyxl.load_workbook(path("empty-rows.xlsx")).active
    rows = list(ws.iter_rows(values_only=True))
    if len(rows) != 9 or any(v is not None for v in rows[3] + rows[4]):
        fail("empty-rows.xlsx: expected rows 4 and 5 empty, 9 rows")
    ws = openpyxl.load_workbook(path("merged-header.xlsx")).active
    if [str(r) for r in ws.merged_cells.ranges] != ["A1:L1"]:
        fail("merged-header.xlsx: merged ranges %s" % ws.merged_cells.ranges)
    for name in ["customers.ods", "customers.xls", "two-sheets.ods"]:
        with open(path(name), "rb") as f:
            magic = f.read(8)
        want = (b"PK\x03\x04" if name.endswith(".ods")
                else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
        if not magic.startswith(want):
            fail("%s: unexpected magic %r" % (name, magic))
    with zipfile.ZipFile(path("bomb.xlsx")) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        if info.file_size != BOMB_SIZE:
            fail("bomb.xlsx: sheet1.xml is %d bytes" % info.file_size)
    with zipfile.ZipFile(path("many-entries.xlsx")) as zf:
        if len(zf.infolist()) != MANY_ENTRIES + 5:
            fail("many-entries.xlsx: %d entries" % len(zf.infolist()))
    try:
        zipfile.ZipFile(path("truncated.xlsx"))
        fail("truncated.xlsx opens as a zip")
    except zipfile.BadZipFile:
        pass

    print("customers.xlsx cells as LibreOffice typed them (data rows):")
    cells = customer_cells()
    for i, name in enumerate(HEADER):
        col = ["%s [%s]" % (describe(v), f) for v, f in
               (row[i] for row in cells[1:])]
        print("  %s: %s" % (name, "; ".join(col)))

    print("sizes:")
    for name in sorted(os.listdir(HERE)):
        size = os.path.getsize(path(name))
        limit = 2 << 20 if name in ("bomb.xlsx", "many-entries.xlsx") \
            else 50 << 10
        flag = "" if size <= limit else "  <-- over %d bytes" % limit
        print("  %9d  %s%s" % (size, name, flag))
        if flag:
            fail("%s is %d bytes" % (name, size))
    if not ok:
        sys.exit(1)


def main():
    global PROFILE
    if shutil.which("soffice") is None:
        sys.exit("soffice not found: apt-get install libreoffice-calc")
    os.chdir(HERE)
    tmp = tempfile.mkdtemp(prefix="cube-sheets-fixtures-")
    PROFILE = os.path.join(tmp, "lo-profile")
    try:
        print("text files")
        make_customers_csv()
        make_semicolon_cp1252()
        make_bom_semicolon()
        make_utf16_tab()
        make_edge()
        make_ragged()
        print("spreadsheets via LibreOffice")
        make_customers_sheets()
        make_empty_rows(tmp)
        make_wrong_types(tmp)
        make_merged_header(tmp)
        make_two_sheets(tmp)
        print("broken files")
        make_truncated()
        make_bomb()
        make_many_entries()
        make_not_a_sheet()
        verify()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
