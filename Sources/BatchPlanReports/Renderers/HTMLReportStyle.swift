/// The report page's stylesheet: system fonts only, readable on screen and on paper.
///
/// Kept free of `<` and `&` so the page stays well-formed XML.
enum HTMLReportStyle {
    static let css = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f4f5f7; color: #1a1a1a;
          font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 980px; margin: 0 auto; padding: 32px 24px 48px; }
        header h1 { font-size: 28px; margin: 0 0 4px; }
        .meta { color: #555555; margin: 0 0 24px; font-size: 13px; }
        h2 { font-size: 21px; margin: 0 0 12px; }
        h3 { font-size: 18px; margin: 24px 0 8px; padding-top: 16px; border-top: 1px solid #e3e3e3; }
        h4 { font-size: 14px; margin: 18px 0 6px; color: #333333; text-transform: uppercase; letter-spacing: 0.04em; }
        section, footer { background: #ffffff; border: 1px solid #dddddd; border-radius: 8px; padding: 20px 24px;
          margin: 0 0 20px; }
        .capacity { color: #555555; font-weight: 400; font-size: 0.8em; }
        .question .label { display: inline-block; font-weight: 700; font-size: 12px; text-transform: uppercase;
          letter-spacing: 0.04em; color: #333333; margin-right: 6px; }
        .answers { list-style: none; padding: 0; margin: 0 0 12px; }
        .answers li { padding: 8px 12px; margin: 0 0 8px; border-left: 4px solid #009E73; background: #f2faf7; }
        .answers li.no-fit { border-left-color: #D55E00; background: #fdf3ec; }
        .badge { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase; padding: 1px 6px;
          border-radius: 3px; color: #ffffff; background: #00785a; margin-right: 4px; }
        .answers li.partial { border-left-color: #E69F00; background: #fdf8ec; }
        .no-fit .badge { background: #b34d00; }
        .partial .badge { background: #8a5d00; }
        .calibration-line { color: #333333; font-size: 14px; margin: 0; }
        table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; font-size: 13px;
          font-variant-numeric: tabular-nums; }
        th, td { padding: 5px 8px; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
        th { background: #f0f1f3; font-weight: 600; }
        td { white-space: nowrap; }
        td:last-child { white-space: normal; }
        .num { text-align: right; white-space: nowrap; }
        tr.total td { font-weight: 700; border-top: 2px solid #999999; }
        figure { margin: 12px 0 16px; }
        svg.chart { display: block; max-width: 100%; height: auto; }
        footer table { width: auto; }
        @media print {
          body { background: #ffffff; font-size: 11pt; }
          main { max-width: none; padding: 0; }
          section, footer { border: none; border-radius: 0; padding: 0; margin: 0 0 16pt; }
          .answers li, .answers li.partial, .answers li.no-fit { background: none; }
          figure, table, .answers li { break-inside: avoid; page-break-inside: avoid; }
          h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
          .card { break-before: page; page-break-before: always; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }

        """
}
