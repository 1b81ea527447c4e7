"""The coordinators' dashboard (issue 18): server-rendered pages served by `athar web`.

- views.py   what each page shows (programme overview, commune, project, poll), read through
             the ports and computed by the reports' code (exports.reports, domain.figures);
             who may see what
- render.py  jinja2 templates (templates/), texts (texts.yml, then exports/labels.yml), fr / ar
             with right-to-left pages, every string masked for contact details
- svg.py     inline SVG charts (no JavaScript)
"""
