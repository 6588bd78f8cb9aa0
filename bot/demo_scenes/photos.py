"""The demo's photos: small real JPEGs drawn with Pillow, so the record book embeds them as
pictures (a JPEG header in front of text is refused as "照片格式无法嵌入")."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw

SIZE = (320, 240)


def scene_photo(caption: str) -> bytes:
    """A 320×240 JPEG of a made-up scene, its colours and shapes taken from the caption: the
    same caption gives the same bytes, another caption another picture."""
    seed = hashlib.sha256(caption.encode()).digest()
    sky = (90 + seed[0] % 120, 140 + seed[1] % 90, 190 + seed[2] % 60)
    ground = (60 + seed[3] % 80, 110 + seed[4] % 80, 50 + seed[5] % 60)
    image = Image.new("RGB", SIZE, sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 150, 320, 240), fill=ground)
    draw.ellipse((250, 20, 290, 60), fill=(250, 220, 90))  # the sun
    left = 30 + seed[6] % 100
    draw.rectangle((left, 70, left + 110, 150), fill=(200, 80 + seed[7] % 100, 70))  # a building
    draw.polygon([(left - 10, 70), (left + 55, 35), (left + 120, 70)], fill=(120, 50, 40))
    draw.rectangle((left + 45, 110, left + 65, 150), fill=(70, 50, 40))  # its door
    draw.rectangle((10, 200, 310, 230), fill=(245, 245, 235))
    draw.text((20, 210), caption, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
