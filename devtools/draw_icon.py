"""Draw the addons' icon (static/description/icon.png): a calendar page with a two-way arrow.

Our own drawing, made with Pillow: ``python -m devtools.draw_icon`` (Odoo's Python has Pillow).
"""

from __future__ import annotations

import os

from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = 256  # drawn large, saved at 128 px as Odoo shows it
TEAL, DARK, WHITE, ORANGE = (0, 128, 128), (0, 84, 92), (255, 255, 255), (255, 152, 0)


def draw() -> Image.Image:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((8, 8, SIZE - 8, SIZE - 8), radius=40, fill=TEAL)
    # the calendar page, its header and two rings
    pen.rounded_rectangle((52, 60, 204, 204), radius=14, fill=WHITE)
    pen.rectangle((52, 60, 204, 96), fill=DARK)
    for x in (86, 170):
        pen.rounded_rectangle((x - 7, 44, x + 7, 78), radius=6, fill=WHITE, outline=DARK, width=3)
    # a grid of days
    for row in range(3):
        for col in range(4):
            x, y = 68 + col * 34, 110 + row * 30
            pen.rectangle((x, y, x + 18, y + 16), fill=(200, 224, 224))
    # the two-way arrow across the page: job <-> calendar
    pen.line((78, 170, 178, 170), fill=ORANGE, width=12)
    pen.polygon([(58, 170), (84, 150), (84, 190)], fill=ORANGE)
    pen.polygon([(198, 170), (172, 150), (172, 190)], fill=ORANGE)
    return image.resize((128, 128), Image.LANCZOS)


def main() -> None:
    icon = draw()
    for addon in ("fieldops_calendar_sync", "fieldops_calendar_sync_recurring"):
        path = os.path.join(ROOT, addon, "static", "description", "icon.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        icon.save(path, optimize=True)
        print(f"wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
