"""Checks a regex cannot express, run on a rule's match (or its `value` group) after the match."""

import base64
import binascii
import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable

import orjson

Validator = Callable[[str], bool]

_NON_DIGIT = re.compile(r"\D")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def luhn(value: str) -> bool:
    """Luhn (mod 10) checksum, as in payment card numbers and Canadian SINs: 8-19 digits, not all one digit."""
    digits = _NON_DIGIT.sub("", value)
    if not 8 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# ISO 13616 registry: IBAN length by country.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_mod97(value: str) -> bool:
    """IBAN: the country's length and ISO 7064 mod 97-10 check digits."""
    iban = _NON_ALNUM.sub("", value).upper()
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)  # fmt: skip
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 7, 6, 8, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)  # fmt: skip


def verhoeff(value: str) -> bool:
    """Verhoeff checksum, as in India's Aadhaar numbers."""
    digits = _NON_DIGIT.sub("", value)
    if len(digits) < 2:
        return False
    check = 0
    for i, char in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][ord(char) - 48]]
    return check == 0


def aba_routing(value: str) -> bool:
    """US ABA routing number: 9 digits with weights 3-7-1 summing to a multiple of 10."""
    digits = _NON_DIGIT.sub("", value)
    if len(digits) != 9 or len(set(digits)) == 1:
        return False
    return sum((ord(c) - 48) * (3, 7, 1)[i % 3] for i, c in enumerate(digits)) % 10 == 0


def us_ssn(value: str) -> bool:
    """US SSN: area not 000, 666 or 900-999; group not 00; serial not 0000; not a well-known sample number."""
    digits = _NON_DIGIT.sub("", value)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in ("078051120", "219099999")


def phone(value: str) -> bool:
    """Telephone numbers: 8-15 digits (E.164's maximum), not one digit repeated."""
    digits = _NON_DIGIT.sub("", value)
    return 8 <= len(digits) <= 15 and len(set(digits)) > 2


def ip_address(value: str) -> bool:
    """An IP address that identifies a host: valid, and not loopback, unspecified or multicast."""
    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified or address.is_multicast)


def jwt(value: str) -> bool:
    """A JSON Web Token: its first part decodes to a JSON object with an `alg`."""
    header = value.split(".", 1)[0]
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|-+|0+|1234.*|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%[a-z_]+%|\$[A-Za-z_]+"
    r"|password|passwd|passw0rd|secret|changeit|admin|root|test|guest|letmein|qwerty\w*)$"
    r"|example|placeholder|changeme|change_me|your[_-]|redacted|dummy|sample|xxxx",
    re.IGNORECASE,
)


def entropy(bits: float) -> Validator:
    """Secret-looking values: at least `bits` of Shannon entropy per character, and no placeholder."""

    def check(value: str) -> bool:
        if len(value) < 8 or _PLACEHOLDER.search(value):
            return False
        counts = Counter(value)
        n = len(value)
        return -sum(c / n * math.log2(c / n) for c in counts.values()) >= bits

    return check


VALIDATORS: dict[str, Validator] = {
    "luhn": luhn,
    "iban-mod97": iban_mod97,
    "us-ssn": us_ssn,
    "phone": phone,
    "ip-address": ip_address,
    "jwt": jwt,
    "verhoeff": verhoeff,
    "aba-routing": aba_routing,
}
_ENTROPY = re.compile(r"entropy>=([0-9]+(?:\.[0-9]+)?)")


def resolve(name: str) -> Validator:
    """The validator a rule names: one of VALIDATORS, or `entropy>=N`. Raises ValueError otherwise."""
    if name in VALIDATORS:
        return VALIDATORS[name]
    found = _ENTROPY.fullmatch(name)
    if found is not None and 0 < float(found.group(1)) <= 8:
        return entropy(float(found.group(1)))
    known = ", ".join([*VALIDATORS, "entropy>=N"])
    raise ValueError(f"unknown validator {name!r} (known: {known})")
