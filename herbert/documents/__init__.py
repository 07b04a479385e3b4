"""PDFs: the renderer (the only WeasyPrint caller), the police form with its grab sheet, the appeal poster, the
PDFs kept once rendered, and the download pages."""
