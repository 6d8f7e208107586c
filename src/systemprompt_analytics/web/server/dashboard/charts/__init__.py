"""Server-side charts: inline SVG with axes, labels and ``<title>`` tooltips, no script.

Text is drawn in page pixels (only the plot area of a time chart is stretched to the width),
so labels stay readable from a phone to a wide screen.
"""
