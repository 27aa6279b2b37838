"""The IPTC digital source type in XMP: how an export says that some of its pixels were invented, not captured.

Veil marks every file whose pixels an algorithm made up (a face mask filled, a face given a new identity) with
`Iptc4xmpExt:DigitalSourceType` (IPTC Photo Metadata, NewsCodes "digitalsourcetype"), so viewers, archives and
provenance tools can tell the person's real face from an estimate:

- compositeWithTrainedAlgorithmicMedia: a trained model filled part of a captured photo (face model, anonymizer);
- compositeSynthetic: a classical algorithm (Telea, FSR) filled part of it.

Pure bytes in, bytes out; no Qt, no Pillow. XMP from a user's file is parsed only after refusing DTDs, which XMP
never uses and which are how XML parsers are attacked (entity expansion).
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from typing import Iterable, Optional

log = logging.getLogger(__name__)

IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_VOCABULARY = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_COMPOSITE = _VOCABULARY + "compositeWithTrainedAlgorithmicMedia"
SYNTHETIC_COMPOSITE = _VOCABULARY + "compositeSynthetic"
# When several edits are in one photo, the file states the most telling one: a trained model's work first.
_PRECEDENCE = (TRAINED_COMPOSITE, SYNTHETIC_COMPOSITE)

_PROPERTY = f"{{{IPTC_EXT_NS}}}DigitalSourceType"
_RESOURCE = f"{{{RDF_NS}}}resource"
_PACKET = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
           '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
           f' <rdf:RDF xmlns:rdf="{RDF_NS}">\n'
           '{description}'
           ' </rdf:RDF>\n'
           '</x:xmpmeta>\n'
           '<?xpacket end="w"?>')
_DESCRIPTION = (f'  <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{IPTC_EXT_NS}">\n'
                '   <Iptc4xmpExt:DigitalSourceType>{value}</Iptc4xmpExt:DigitalSourceType>\n'
                '  </rdf:Description>\n')
# The property as Adobe's and IPTC's tools write it (the standard prefix): an attribute, an element, an empty element.
_EXISTING = (re.compile(rb'\s+Iptc4xmpExt:DigitalSourceType\s*=\s*("[^"]*"|\'[^\']*\')'),
             re.compile(rb"<Iptc4xmpExt:DigitalSourceType\b[^>]*?/>"),
             re.compile(rb"<Iptc4xmpExt:DigitalSourceType\b[^>]*>.*?</Iptc4xmpExt:DigitalSourceType\s*>", re.S))
_RDF_END = re.compile(rb"</rdf:RDF\s*>")


def strongest(types: Iterable[Optional[str]]) -> Optional[str]:
    """The source type a file with all these edits should state (None when no edit invented pixels)."""
    found = {t for t in types if t}
    for candidate in _PRECEDENCE:
        if candidate in found:
            return candidate
    return sorted(found)[0] if found else None


def _parse(xmp: bytes) -> Optional[ET.Element]:
    if b"<!DOCTYPE" in xmp or b"<!ENTITY" in xmp:
        return None
    try:
        return ET.fromstring(xmp)
    except ET.ParseError:
        return None


def read_source_type(xmp: Optional[bytes]) -> Optional[str]:
    """The DigitalSourceType an XMP packet states (attribute, element text or rdf:resource), or None."""
    stated = [v for v in _stated(xmp) if v] if xmp else []
    return stated[0] if stated else None


def source_type_packet(value: str) -> bytes:
    """A whole XMP packet holding only the DigitalSourceType (what the privacy profile lets out)."""
    return _PACKET.format(description=_DESCRIPTION.format(value=_escape(value))).encode("utf-8")


def source_type_only(xmp: Optional[bytes]) -> Optional[bytes]:
    """What may be kept of a packet when the rest must go (the privacy profile, a JPEG segment too small for it): its
    DigitalSourceType alone in a packet of its own, None when it states none."""
    source_type = read_source_type(xmp)
    return source_type_packet(source_type) if source_type else None


def with_source_type(xmp: Optional[bytes], value: str) -> bytes:
    """`xmp` with its DigitalSourceType set to `value`, every other property kept. XMP that cannot be parsed, or
    that states the property in a way this cannot replace, gives way to a packet holding only the source type: the
    file must say what it is."""
    if xmp:
        merged = xmp
        for pattern in _EXISTING:
            merged = pattern.sub(b"", merged)
        ends = list(_RDF_END.finditer(merged))
        if ends and _parse(xmp) is not None:
            at = ends[-1].start()
            merged = merged[:at] + _DESCRIPTION.format(value=_escape(value)).encode("utf-8") + merged[at:]
            if _parse(merged) is not None and _stated(merged) == [value]:
                return merged
        log.info("XMP replaced by a packet holding only the digital source type (it could not be merged)")
    return source_type_packet(value)


def _stated(xmp: bytes) -> list[str]:
    """Every DigitalSourceType value in a packet, whatever its prefix; [] when it cannot be parsed."""
    root = _parse(xmp)
    values = []
    for element in root.iter() if root is not None else ():
        if _PROPERTY in element.attrib:
            values.append(element.attrib[_PROPERTY].strip())
        if element.tag == _PROPERTY:
            values.append((element.text or "").strip() or element.attrib.get(_RESOURCE, "").strip())
    return values


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
