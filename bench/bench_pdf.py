"""PDF rendering: the portal's renderer (one FontConfiguration and parsed CSS per process)
against a bare WeasyPrint render of the same HTML in the same process (the floor), warm."""

import statistics
import time

from bench.table import Row

ROUNDS = 7
DOCUMENT = """<h1>2021年川渝联合实施重点研发项目 立项通知书</h1>
<p>项目名称：成渝地区双城经济圈工业互联网平台关键技术研究与示范。牵头单位：巴渝理工大学；合作单位：天府信息科技研究院。</p>
<table><tr><th>单位</th><th>四川财政（万元）</th><th>重庆财政（万元）</th></tr>
<tr><td>巴渝理工大学</td><td>0.00</td><td>100.00</td></tr><tr><td>天府信息科技研究院</td><td>100.00</td><td>0.00</td></tr></table>
"""


def _median_seconds(render) -> float:
    render()  # warm
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        render()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run() -> list[Row]:
    from weasyprint import CSS, HTML

    from portal.pdf import BASE_CSS_PATH, render_pdf

    def bare() -> bytes:
        return HTML(string=DOCUMENT).write_pdf(stylesheets=[CSS(filename=str(BASE_CSS_PATH))])

    floor = _median_seconds(bare)
    ours = _median_seconds(lambda: render_pdf(DOCUMENT))
    ratio = ours / floor
    return [
        Row("pdf: bare WeasyPrint render (floor)", f"{floor * 1000:.0f} ms", "", None, True),
        Row("pdf: portal render, warm", f"{ours * 1000:.0f} ms", "<= 1.3 x floor", ratio, ratio <= 1.3),
    ]
