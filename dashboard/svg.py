"""Small server-side SVG charts: no JavaScript, no CDN, nothing to vendor."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bars(values: list, *, width: int = 336, height: int = 40, labels: list | None = None, color="#417690"):
    """A bar chart of `values` (oldest first); each bar's tooltip is its label and value."""
    top = max(values) if values and max(values) > 0 else 1
    step = width / max(len(values), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" class="chart">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f8f8f8"/>',
    ]
    for index, value in enumerate(values):
        bar = 0 if not value else max(1.0, (height - 2) * value / top)
        label = escape(f"{labels[index]}: {value}" if labels else str(value))
        parts.append(
            f'<rect x="{index * step:.2f}" y="{height - bar:.2f}" width="{max(step - 0.5, 0.5):.2f}" '
            f'height="{bar:.2f}" fill="{color}"><title>{label}</title></rect>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers and escaped labels only)


def histogram(counts: list, bucket_labels: list, *, width: int = 540, height: int = 120) -> SafeString:
    """Counts per latency bucket, with the buckets' upper bounds written below."""
    chart_height = height - 16
    top = max(counts) if counts and max(counts) > 0 else 1
    step = width / max(len(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" class="chart">'
    ]
    for index, count in enumerate(counts):
        bar = 0 if not count else max(1.0, (chart_height - 2) * count / top)
        label = escape(bucket_labels[index])
        parts.append(
            f'<rect x="{index * step:.2f}" y="{chart_height - bar:.2f}" width="{step - 2:.2f}" '
            f'height="{bar:.2f}" fill="#79aec8"><title>{label}: {count}</title></rect>'
            f'<text x="{index * step + step / 2:.2f}" y="{height - 3}" font-size="8" '
            f'text-anchor="middle">{label}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers and escaped labels only)
