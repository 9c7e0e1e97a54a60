"""Write two edited copies of tests/data/scene-101.jpg for the worked example.

repost.jpg: cropped, mirrored, enlarged, a caption bar on top, re-encoded (an edited re-upload).
news.jpg: the whole picture above a news banner (a lawful report that shows it).
"""

from PIL import Image, ImageDraw, ImageOps

known = Image.open("tests/data/scene-101.jpg")

picture = ImageOps.mirror(known.crop((24, 18, 296, 222))).resize((544, 408))
repost = ImageOps.expand(picture, (0, 60, 0, 0), "white")
ImageDraw.Draw(repost).text((16, 20), "you will not believe this", fill="black")
repost.save("repost.jpg", quality=70)

news = ImageOps.expand(known, (0, 0, 0, 48), "navy")
ImageDraw.Draw(news).text((12, 258), "BREAKING: court hears evidence", fill="white")
news.save("news.jpg", quality=85)
