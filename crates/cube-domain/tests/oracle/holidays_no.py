"""Writes holidays_no_2020_2040.json: Norway's public holidays for 2020-2040 as the PyPI
package `holidays` (python-holidays, country NO) lists them. The holiday calendar in
`cube_domain::contact_policy::holidays` is tested against this file: an oracle no one on the
project wrote. Regenerate with

    python3 -m venv /tmp/hv && /tmp/hv/bin/pip install holidays
    /tmp/hv/bin/python crates/cube-domain/tests/oracle/holidays_no.py

and commit the file with the package version it names. `cargo xtask test` runs it again
(`cargo xtask oracle`, with HOLIDAYS_OUT set to a file under target/) and fails when the
package's answer and the committed file differ.
"""

import json
import os
import pathlib

import holidays

days = holidays.country_holidays("NO", years=range(2020, 2041))
out = {
    "source": f"python-holidays {holidays.__version__}, country NO, years 2020-2040",
    "holidays": {day.isoformat(): name for day, name in sorted(days.items())},
}
path = pathlib.Path(
    os.environ.get("HOLIDAYS_OUT")
    or pathlib.Path(__file__).with_name("holidays_no_2020_2040.json")
)
path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{len(out['holidays'])} holidays written to {path}")
