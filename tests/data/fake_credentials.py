"""Fake credentials with valid shapes for the scanner tests and benchmarks: made up, never real.

Shared by tests/data/secrets/make-corpus.py, tests/data/hostile/make-hostile.py and the bench generators
(bench/secrets/generate.py, bench/scale/generate.py), which add this folder to sys.path.
"""
import string, zlib

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(value, width):
    out = ""
    for _ in range(width):
        out = B62[value % 62] + out
        value //= 62
    return out


def crc_token(prefix, body):
    """A GitHub-style token: prefix, a 30-character body and its CRC32 in base62, which the scanner validates."""
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_token(choice):
    """A fake ghp_ token whose body characters come from choice(ALNUM) (random.choice, a seeded Random's choice...)."""
    return crc_token("ghp_", "".join(choice(ALNUM) for _ in range(30)))
