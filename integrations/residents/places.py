"""Provinces for the synthetic population: real codes, real names; communes and streets are made up.

Two lists: the 63 provinces before 1 July 2025, whose codes (with a leading 0) are the first three digits of
every identity number registered at birth before then (001 Hà Nội, 079 TP Hồ Chí Minh, ...), and the 34
provinces since (Resolution 202/2025/QH15; codes of Decision 19/2025/QĐ-TTg, each the code of one of the
provinces it absorbed), used for addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCES_BEFORE_2025: dict[str, str] = {
    "01": "Thành phố Hà Nội",
    "02": "Tỉnh Hà Giang",
    "04": "Tỉnh Cao Bằng",
    "06": "Tỉnh Bắc Kạn",
    "08": "Tỉnh Tuyên Quang",
    "10": "Tỉnh Lào Cai",
    "11": "Tỉnh Điện Biên",
    "12": "Tỉnh Lai Châu",
    "14": "Tỉnh Sơn La",
    "15": "Tỉnh Yên Bái",
    "17": "Tỉnh Hoà Bình",
    "19": "Tỉnh Thái Nguyên",
    "20": "Tỉnh Lạng Sơn",
    "22": "Tỉnh Quảng Ninh",
    "24": "Tỉnh Bắc Giang",
    "25": "Tỉnh Phú Thọ",
    "26": "Tỉnh Vĩnh Phúc",
    "27": "Tỉnh Bắc Ninh",
    "30": "Tỉnh Hải Dương",
    "31": "Thành phố Hải Phòng",
    "33": "Tỉnh Hưng Yên",
    "34": "Tỉnh Thái Bình",
    "35": "Tỉnh Hà Nam",
    "36": "Tỉnh Nam Định",
    "37": "Tỉnh Ninh Bình",
    "38": "Tỉnh Thanh Hóa",
    "40": "Tỉnh Nghệ An",
    "42": "Tỉnh Hà Tĩnh",
    "44": "Tỉnh Quảng Bình",
    "45": "Tỉnh Quảng Trị",
    "46": "Tỉnh Thừa Thiên Huế",
    "48": "Thành phố Đà Nẵng",
    "49": "Tỉnh Quảng Nam",
    "51": "Tỉnh Quảng Ngãi",
    "52": "Tỉnh Bình Định",
    "54": "Tỉnh Phú Yên",
    "56": "Tỉnh Khánh Hòa",
    "58": "Tỉnh Ninh Thuận",
    "60": "Tỉnh Bình Thuận",
    "62": "Tỉnh Kon Tum",
    "64": "Tỉnh Gia Lai",
    "66": "Tỉnh Đắk Lắk",
    "67": "Tỉnh Đắk Nông",
    "68": "Tỉnh Lâm Đồng",
    "70": "Tỉnh Bình Phước",
    "72": "Tỉnh Tây Ninh",
    "74": "Tỉnh Bình Dương",
    "75": "Tỉnh Đồng Nai",
    "77": "Tỉnh Bà Rịa - Vũng Tàu",
    "79": "Thành phố Hồ Chí Minh",
    "80": "Tỉnh Long An",
    "82": "Tỉnh Tiền Giang",
    "83": "Tỉnh Bến Tre",
    "84": "Tỉnh Trà Vinh",
    "86": "Tỉnh Vĩnh Long",
    "87": "Tỉnh Đồng Tháp",
    "89": "Tỉnh An Giang",
    "91": "Tỉnh Kiên Giang",
    "92": "Thành phố Cần Thơ",
    "93": "Tỉnh Hậu Giang",
    "94": "Tỉnh Sóc Trăng",
    "95": "Tỉnh Bạc Liêu",
    "96": "Tỉnh Cà Mau",
}


@dataclass(frozen=True)
class Province:
    """A province since 1 July 2025, the older provinces it took in, and a rough weight for sampling."""

    code: str
    name: str
    formed_from: tuple[str, ...]
    weight: int


PROVINCES: tuple[Province, ...] = (
    Province("01", "Thành phố Hà Nội", ("01",), 30),
    Province("04", "Tỉnh Cao Bằng", ("04",), 2),
    Province("08", "Tỉnh Tuyên Quang", ("08", "02"), 4),
    Province("11", "Tỉnh Điện Biên", ("11",), 2),
    Province("12", "Tỉnh Lai Châu", ("12",), 1),
    Province("14", "Tỉnh Sơn La", ("14",), 3),
    Province("15", "Tỉnh Lào Cai", ("10", "15"), 4),
    Province("19", "Tỉnh Thái Nguyên", ("19", "06"), 4),
    Province("20", "Tỉnh Lạng Sơn", ("20",), 2),
    Province("22", "Tỉnh Quảng Ninh", ("22",), 4),
    Province("24", "Tỉnh Bắc Ninh", ("27", "24"), 8),
    Province("25", "Tỉnh Phú Thọ", ("25", "26", "17"), 8),
    Province("31", "Thành phố Hải Phòng", ("31", "30"), 9),
    Province("33", "Tỉnh Hưng Yên", ("33", "34"), 7),
    Province("37", "Tỉnh Ninh Bình", ("37", "35", "36"), 9),
    Province("38", "Tỉnh Thanh Hóa", ("38",), 7),
    Province("40", "Tỉnh Nghệ An", ("40",), 7),
    Province("42", "Tỉnh Hà Tĩnh", ("42",), 3),
    Province("44", "Tỉnh Quảng Trị", ("45", "44"), 4),
    Province("46", "Thành phố Huế", ("46",), 3),
    Province("48", "Thành phố Đà Nẵng", ("48", "49"), 6),
    Province("51", "Tỉnh Quảng Ngãi", ("51", "62"), 4),
    Province("52", "Tỉnh Gia Lai", ("64", "52"), 7),
    Province("56", "Tỉnh Khánh Hòa", ("56", "58"), 4),
    Province("66", "Tỉnh Đắk Lắk", ("66", "54"), 6),
    Province("68", "Tỉnh Lâm Đồng", ("68", "67", "60"), 7),
    Province("75", "Tỉnh Đồng Nai", ("75", "70"), 9),
    Province("79", "Thành phố Hồ Chí Minh", ("79", "74", "77"), 30),
    Province("80", "Tỉnh Tây Ninh", ("72", "80"), 6),
    Province("82", "Tỉnh Đồng Tháp", ("87", "82"), 8),
    Province("86", "Tỉnh Vĩnh Long", ("86", "83", "84"), 7),
    Province("91", "Tỉnh An Giang", ("89", "91"), 9),
    Province("92", "Thành phố Cần Thơ", ("92", "94", "93"), 7),
    Province("96", "Tỉnh Cà Mau", ("96", "95"), 4),
)
PROVINCE_BY_CODE = {p.code: p for p in PROVINCES}

# Ward and commune names that recur across many provinces; codes are generated (synthetic).
COMMUNE_NAMES: tuple[str, ...] = (
    "Phường Quang Trung",
    "Phường Lê Lợi",
    "Phường Trần Hưng Đạo",
    "Phường Hồng Hà",
    "Phường Tân An",
    "Phường Bình Minh",
    "Phường Hòa Bình",
    "Phường Thống Nhất",
    "Xã Tân Phú",
    "Xã Tân Thành",
    "Xã Hòa An",
    "Xã Thanh Sơn",
    "Xã Đông Hòa",
    "Xã Phú Lộc",
    "Xã An Bình",
    "Xã Hưng Đạo",
)
STREETS: tuple[str, ...] = (
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Hùng Vương",
    "Điện Biên Phủ",
    "Nguyễn Huệ",
    "Phan Đình Phùng",
    "Lê Duẩn",
    "Trần Phú",
    "Nguyễn Du",
    "Bà Triệu",
    "Ngô Quyền",
    "Võ Thị Sáu",
)


def commune_code(province: str, index: int) -> str:
    """A synthetic 5-digit commune code, unique per (province, commune) of this data set."""
    return f"{(int(province) * 100 + index) % 100000:05d}"
