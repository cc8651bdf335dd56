"""Draw the neutral illustrations used by the demo newsroom (needs Pillow: pip install pillow).

The demo's "photos" are flat illustrations of meetings and trainings, not pictures of real
people or events, and are credited as such in the releases.
Run: python scripts/make_demo_images.py
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent / "content"
PALETTES = {
    "blue": ((214, 228, 242), (11, 74, 139), (240, 190, 90)),
    "green": ((222, 238, 226), (29, 90, 50), (235, 160, 110)),
    "sand": ((244, 234, 214), (122, 80, 20), (70, 120, 170)),
    "violet": ((232, 228, 246), (61, 42, 134), (230, 170, 80)),
    "teal": ((216, 238, 238), (12, 92, 98), (220, 120, 90)),
}


def scene(path: Path, palette: str, seed: int, kind: str) -> None:
    """A meeting room (people round a table), a lecture (rows facing a speaker) or a city."""
    rng = random.Random(seed)
    light, dark, accent = PALETTES[palette]
    width, height = 1200, 800
    image = Image.new("RGB", (width, height), light)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # soft vertical gradient
        shade = 1 - 0.18 * y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(c * shade) for c in light))
    skin = [(141, 85, 36), (198, 134, 66), (224, 172, 105), (241, 194, 125), (110, 70, 40)]
    shirts = [dark, accent, (90, 90, 100), (200, 200, 210), (160, 60, 60)]

    def person(x: int, y: int, scale: float) -> None:
        body = int(70 * scale)
        draw.rounded_rectangle([x - body, y, x + body, y + int(150 * scale)], radius=int(40 * scale),
                               fill=rng.choice(shirts))
        head = int(34 * scale)
        draw.ellipse([x - head, y - 2 * head - 6, x + head, y - 6], fill=rng.choice(skin))

    if kind == "table":
        draw.rectangle([0, 520, width, height], fill=tuple(int(c * 0.85) for c in light))
        for i in range(6):
            person(170 + i * 175, 380 + rng.randint(-15, 15), 1.0)
        draw.rounded_rectangle([90, 500, width - 90, 600], radius=20, fill=dark)
        for i in range(5):
            draw.rectangle([200 + i * 180, 470, 290 + i * 180, 505], fill=(250, 250, 250))
    elif kind == "lecture":
        draw.rectangle([380, 90, 820, 330], fill=(250, 250, 252), outline=dark, width=6)
        for i in range(4):
            draw.rectangle([420, 130 + i * 45, 420 + rng.randint(180, 360), 150 + i * 45], fill=accent)
        person(940, 260, 1.1)
        for row in range(2):
            for i in range(7):
                person(120 + i * 160 + row * 60, 560 + row * 120, 0.9 + row * 0.15)
    else:  # city skyline
        for i in range(14):
            w = rng.randint(60, 120)
            h = rng.randint(150, 480)
            x = i * 90 + rng.randint(-20, 20)
            draw.rectangle([x, height - 160 - h, x + w, height - 160], fill=tuple(
                int(c * rng.uniform(0.55, 0.8)) for c in dark))
            for wy in range(height - 140 - h, height - 180, 40):
                draw.rectangle([x + 12, wy, x + 24, wy + 18], fill=accent)
        draw.rectangle([0, height - 160, width, height], fill=dark)
        draw.ellipse([930, 70, 1070, 210], fill=accent)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=72, optimize=True, progressive=True)


IMAGES = [
    ("releases/2023/vwu-training-of-trainers/training-room.jpg", "blue", 1, "table"),
    ("releases/2023/vwu-training-of-trainers/group-work.jpg", "green", 2, "table"),
    ("releases/2023/vwu-training-of-trainers/speaker.jpg", "sand", 3, "lecture"),
    ("media/hanoi-workshop.jpg", "blue", 4, "lecture"),
    ("media/hanoi-opening.jpg", "violet", 5, "table"),
    ("media/geneva.jpg", "teal", 6, "city"),
    ("media/dakar-training.jpg", "sand", 7, "lecture"),
    ("media/phnom-penh.jpg", "green", 8, "table"),
    ("media/kathmandu.jpg", "violet", 9, "city"),
    ("media/district-training.jpg", "teal", 10, "lecture"),
    ("media/report-launch.jpg", "blue", 11, "city"),
]

if __name__ == "__main__":
    for relative, palette, seed, kind in IMAGES:
        scene(ROOT / relative, palette, seed, kind)
        print(ROOT / relative)
