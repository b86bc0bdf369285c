"""Read documents from files and folders.

Formats: plain text, Markdown, HTML, JSONL, PubTator, PubMed XML and BioC (XML and JSON).
`iter_documents` streams `Document`s (one file's documents at a time) and never
raises for bad input: every problem becomes a Document with status "error" and a
reason, and the batch goes on. `Document.text` is exactly the text that character
offsets elsewhere in the product refer to.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator


@dataclass(frozen=True)
class Document:
    doc_id: str
    source: str          # posix path of the file the document came from
    text: str            # exactly as decoded: offsets into it are the product's provenance
    title: str = ""
    sha256: str = ""     # of text.encode("utf-8") for ok docs; of the raw bytes (or "") for errors
    status: str = "ok"   # "ok" or "error"
    error: str = ""      # for errors: the reason

    def row(self, n_sentences: int = 0) -> dict:
        """This document's row of the documents table."""
        return {
            "doc_id": self.doc_id, "source": self.source, "sha256": self.sha256, "title": self.title,
            "n_chars": len(self.text), "n_sentences": n_sentences, "status": self.status, "error": self.error,
        }


FORMAT_BY_EXTENSION = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".pubtator": "pubtator",
    ".xml": "pubmed_xml",
    ".json": "bioc_json",
}
# Formats whose content is checked for PubTator ("PMID|t|title" as first line).
PUBTATOR_SNIFFED_FORMATS = {"text", "markdown", "unsupported"}
PUBMED_XML_ROOT = "PubmedArticleSet"
BIOC_XML_ROOT = "collection"

SNIFF_BYTES = 64 * 1024
HASH_CHUNK_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

PUBTATOR_FIRST_LINE = re.compile(r"^[^|\s]+\|t\|")
PUBTATOR_TITLE_LINE = re.compile(rb"^[^|\t\r\n]+\|t\|")
XML_COMMENT = re.compile(rb"<!--.*?-->", re.S)
XML_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
MARKDOWN_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)


class InputProblem(Exception):
    """A problem with the input that becomes an error Document (the message is the reason)."""


@dataclass(frozen=True)
class FileEntry:
    """A file (or a path that could not be listed) to turn into documents."""

    path: Path
    name: str          # doc_id base: relative path in a walked folder, else the file name
    problem: str = ""  # set when the entry is already known to be bad


# ---------------------------------------------------------------------------
# public API

def iter_documents(paths: Iterable[str | os.PathLike]) -> Iterator[Document]:
    """Documents from files and folders, in input order (folders: sorted relative paths).

    Hidden files and folders inside a walked folder are skipped. A doc_id seen before
    in this run gives an error Document naming where it was first seen. A single path
    (str or PathLike) is accepted as a one-item list.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    first_source: dict[str, str] = {}
    for given in paths:
        for doc in _documents_from_input(given):
            yield _check_duplicate(doc, first_source)


def sniff_format(path: str | os.PathLike) -> str:
    """"text", "markdown", "html", "jsonl", "pubtator", "pubmed_xml" or "unsupported"."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        head = b""
    return _format_of(path.suffix.lower(), head)


# ---------------------------------------------------------------------------
# documents and errors

def _ok_document(doc_id: str, source: str, text: str, title: str = "") -> Document:
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputProblem(
            f"text contains an unpaired surrogate {text[exc.start]!r} at character {exc.start}"
        ) from None
    return Document(doc_id=doc_id, source=source, text=text, title=title,
                    sha256=hashlib.sha256(encoded).hexdigest())


def _error_document(doc_id: str, source: str, reason: str, raw: bytes | None = None,
                    sha256: str = "") -> Document:
    if raw is not None:
        sha256 = hashlib.sha256(raw).hexdigest()
    return Document(doc_id=doc_id, source=source, text="", sha256=sha256,
                    status="error", error=reason)


def _check_duplicate(doc: Document, first_source: dict[str, str]) -> Document:
    if doc.status != "ok":
        return doc
    if doc.doc_id in first_source:
        return Document(doc_id=doc.doc_id, source=doc.source, text="", title=doc.title,
                        sha256=doc.sha256, status="error",
                        error=f"duplicate doc_id, first seen in {first_source[doc.doc_id]}")
    first_source[doc.doc_id] = doc.source
    return doc


def _source_of(path: Path) -> str:
    return path.as_posix()


# ---------------------------------------------------------------------------
# inputs: files, folders, missing paths

def _documents_from_input(given) -> Iterator[Document]:
    if isinstance(given, bytes):
        given = os.fsdecode(given)
    try:
        path = Path(given)
    except TypeError:
        yield _error_document(repr(given), repr(given),
                              f"not a path: {type(given).__name__} {given!r}")
        return
    for entry in _entries_of_input(path):
        yield from _documents_from_entry(entry)


def _entries_of_input(path: Path) -> Iterator[FileEntry]:
    problem = _stat_problem(path)
    if problem:
        yield FileEntry(path, path.name or path.as_posix(), problem)
    elif path.is_dir():
        yield from _walk_folder(path)
    elif path.is_file():
        yield FileEntry(path, path.name)
    else:
        yield FileEntry(path, path.name, "not a regular file")


def _stat_problem(path: Path) -> str:
    """Why `path` cannot be used (missing, broken link, link loop), or ""."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop: the symbolic link points (through other links) back to itself"
        if os.path.islink(path):
            return f"broken symbolic link: target '{os.readlink(path)}' does not exist"
        if exc.errno == errno.ENOENT:
            return "path does not exist"
        if exc.errno == errno.EACCES:
            return "permission denied"
        return f"cannot access path: {exc.strerror}"
    return ""


def _walk_folder(root: Path) -> Iterator[FileEntry]:
    """Files under `root` in sorted relative-path order; hidden names skipped.

    Symbolic links to files are read through; links to folders are not followed
    (a link back to the folder itself or an ancestor is reported as a symlink loop).
    """
    entries: list[FileEntry] = []
    pending = [(root, "")]
    while pending:
        folder, rel = pending.pop()
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=lambda child: child.name)
        except OSError as exc:
            reason = ("permission denied: cannot list folder" if exc.errno == errno.EACCES
                      else f"cannot list folder: {exc.strerror}")
            entries.append(FileEntry(folder, rel or root.as_posix(), reason))
            continue
        for child in children:
            if child.name.startswith("."):
                continue
            child_rel = f"{rel}/{child.name}" if rel else child.name
            child_path = folder / child.name
            if child.is_symlink():
                entry = _symlink_entry(child_path, child_rel, folder)
                if entry is not None:
                    entries.append(entry)
            elif child.is_dir(follow_symlinks=False):
                pending.append((child_path, child_rel))
            elif child.is_file(follow_symlinks=False):
                entries.append(FileEntry(child_path, child_rel))
            else:
                entries.append(FileEntry(child_path, child_rel,
                                         "not a regular file (socket, pipe or device)"))
    if not entries:
        yield FileEntry(root, root.as_posix(), "no files found in folder (hidden files are skipped)")
        return
    entries.sort(key=lambda entry: entry.name)
    yield from entries


def _symlink_entry(link: Path, rel: str, folder: Path) -> FileEntry:
    problem = _stat_problem(link)
    if problem:
        return FileEntry(link, rel, problem)
    if not link.is_dir():
        return FileEntry(link, rel)
    target = os.path.realpath(link)
    here = os.path.realpath(folder)
    if here == target or here.startswith(target.rstrip(os.sep) + os.sep):
        return FileEntry(link, rel, f"symlink loop: folder link points back to '{target}'")
    return FileEntry(link, rel, f"symbolic link to a folder not followed (target '{target}')")


# ---------------------------------------------------------------------------
# one file

def _documents_from_entry(entry: FileEntry) -> Iterator[Document]:
    source = _source_of(entry.path)
    if entry.problem:
        yield _error_document(entry.name, source, entry.problem)
        return
    try:
        handle = open(entry.path, "rb")
    except OSError as exc:
        yield _error_document(entry.name, source, _open_problem(exc))
        return
    with handle:
        try:
            yield from _documents_from_open_file(entry, source, handle)
        except InputProblem as exc:
            yield _error_document(entry.name, source, str(exc), sha256=_file_sha256(handle))
        except OSError as exc:
            yield _error_document(entry.name, source, f"read error: {exc.strerror or exc}")
        except Exception as exc:  # a reader bug must not stop the batch
            yield _error_document(entry.name, source,
                                  f"unexpected error while reading: {type(exc).__name__}: {exc}")


def _open_problem(exc: OSError) -> str:
    if exc.errno == errno.EACCES:
        return "permission denied: cannot read file"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "path does not exist"
    return f"cannot open file: {exc.strerror or exc}"


def _file_sha256(handle: BinaryIO) -> str:
    try:
        handle.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return ""


def _documents_from_open_file(entry: FileEntry, source: str,
                              handle: BinaryIO) -> Iterator[Document]:
    head = handle.read(SNIFF_BYTES)
    if not head:
        raise InputProblem("empty file")
    suffix = entry.path.suffix.lower()
    file_format = _format_of(suffix, head)
    if file_format == "unsupported":
        raise InputProblem(_unsupported_reason(suffix, head))
    if head.startswith(UTF16_BOMS):
        raise InputProblem("UTF-16 encoded (byte order mark found); only UTF-8 is supported")
    _reject_nul(head, 0)
    handle.seek(0)
    yield from READERS[file_format](entry, source, handle)


def _unsupported_reason(suffix: str, head: bytes) -> str:
    if suffix == ".xml":
        root = _xml_root(head)
        if root is None:
            return "unsupported XML: no root element found"
        return f"unsupported XML: root element <{root}>, expected <{PUBMED_XML_ROOT}>"
    if not suffix:
        return "unsupported file type (no file extension)"
    return f"unsupported file type '{suffix}'"


def _format_of(suffix: str, head: bytes) -> str:
    file_format = FORMAT_BY_EXTENSION.get(suffix, "unsupported")
    if file_format in PUBTATOR_SNIFFED_FORMATS and _looks_like_pubtator(head):
        return "pubtator"
    if file_format == "pubmed_xml" and _xml_root(head) == BIOC_XML_ROOT:
        return "bioc_xml"
    if file_format == "pubmed_xml" and _xml_root(head) != PUBMED_XML_ROOT:
        return "unsupported"
    return file_format


def _looks_like_pubtator(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    start = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    return bool(PUBTATOR_FIRST_LINE.match(start))


def _xml_root(head: bytes) -> str | None:
    match = XML_FIRST_ELEMENT.search(XML_COMMENT.sub(b"", head))
    return match.group(1).decode("ascii", errors="replace") if match else None


def _reject_nul(data: bytes, base_offset: int, where: str = "") -> None:
    position = data.find(b"\x00")
    if position >= 0:
        raise InputProblem(
            f"binary content: NUL byte at byte offset {base_offset + position}{where}")


def _decode_utf8(data: bytes, base_offset: int = 0, where: str = "") -> str:
    """UTF-8 text of `data` (a leading BOM dropped); offsets in errors are file byte offsets."""
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = base_offset + bom + exc.start
        raise InputProblem(
            f"not UTF-8: byte 0x{data[bom + exc.start]:02x} at byte offset {offset}{where} "
            f"({exc.reason}); re-save the file as UTF-8"
        ) from None


def _require_text(text: str) -> None:
    if not text.strip():
        raise InputProblem("no text: the file is empty or only whitespace")


# ---------------------------------------------------------------------------
# plain text and Markdown

def _read_text(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    data = handle.read()
    _reject_nul(data, 0)
    text = _decode_utf8(data)
    _require_text(text)
    yield _ok_document(entry.name, source, text)


def _read_markdown(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    data = handle.read()
    _reject_nul(data, 0)
    text = _decode_utf8(data)
    _require_text(text)
    heading = MARKDOWN_H1.search(text)
    yield _ok_document(entry.name, source, text, heading.group(1) if heading else "")


# ---------------------------------------------------------------------------
# HTML

HTML_SKIPPED_ELEMENTS = {"script", "style", "template", "svg"}
HTML_HEAD_ELEMENTS = {"head", "title", "meta", "link", "base", "style", "script", "noscript"}
# Breaks (number of line ends) that block elements put around their text.
HTML_BREAKS = {
    **{tag: 2 for tag in (
        "p", "div", "section", "article", "main", "aside", "header", "footer", "nav",
        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl",
        "figure", "figcaption", "form", "fieldset", "address", "hr", "body", "details",
        "summary",
    )},
    **{tag: 1 for tag in ("br", "li", "tr", "dt", "dd", "caption", "option")},
}
HTML_CELLS = {"td", "th"}
HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


class VisibleTextParser(HTMLParser):
    """Collects visible text and the first <title>; keeps no element stack (no recursion)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.pending_breaks = 0
        self.skip_depth = 0
        self.pre_depth = 0
        self.in_head = False
        self.in_title = False
        self.title_pieces: list[str] = []
        self.title_done = False

    def handle_starttag(self, tag, attrs):
        if tag in HTML_SKIPPED_ELEMENTS:
            self.skip_depth += 1
        if tag == "head":
            self.in_head = True
        elif self.in_head and tag not in HTML_HEAD_ELEMENTS:
            self.in_head = False  # body content without </head>
        if tag == "title" and not self.title_done and not self.skip_depth:
            self.in_title = True
        if tag == "pre":
            self.pre_depth += 1
        self._block_edge(tag)

    def handle_endtag(self, tag):
        if tag in HTML_SKIPPED_ELEMENTS and self.skip_depth:
            self.skip_depth -= 1
        if tag == "head":
            self.in_head = False
        if tag == "title" and self.in_title:
            self.in_title = False
            self.title_done = True
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1
        self._block_edge(tag)

    def _block_edge(self, tag: str) -> None:
        if tag in HTML_BREAKS:
            self.pending_breaks = max(self.pending_breaks, HTML_BREAKS[tag])
        elif tag in HTML_CELLS and self.pieces and not self.pending_breaks:
            self._append(" ")

    def handle_data(self, data):
        if self.in_title:
            self.title_pieces.append(data)
            return
        if self.skip_depth or self.in_head:
            return
        if not self.pre_depth:
            data = HTML_SPACE.sub(" ", data)
        if not data.strip(" "):
            if self.pieces and not self.pending_breaks:
                self._append(" ")
            return
        if self.pending_breaks and self.pieces:
            self.pieces[-1] = self.pieces[-1].rstrip(" ")
            self.pieces.append("\n" * self.pending_breaks)
        self.pending_breaks = 0
        if not self.pre_depth and (not self.pieces or self.pieces[-1].endswith(("\n", " "))):
            data = data.lstrip(" ")
        self.pieces.append(data)

    def _append(self, space: str) -> None:
        if not self.pieces[-1].endswith((" ", "\n")):
            self.pieces.append(space)

    def text(self) -> str:
        return "".join(self.pieces).rstrip()

    def title(self) -> str:
        return HTML_SPACE.sub(" ", "".join(self.title_pieces)).strip()


def _read_html(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    data = handle.read()
    _reject_nul(data, 0)
    markup = _decode_utf8(data)
    parser = VisibleTextParser()
    parser.feed(markup)
    parser.close()
    text = parser.text()
    if not text.strip():
        raise InputProblem("no visible text in HTML")
    yield _ok_document(entry.name, source, text, parser.title())


# ---------------------------------------------------------------------------
# JSONL: {"id", "title"?, "text"} a line

def _read_jsonl(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    offset = 0
    produced = False
    for line_number, raw in enumerate(handle, start=1):
        line_offset, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        produced = True
        doc_id = f"{entry.name}:{line_number}"
        try:
            yield _jsonl_document(raw, line_number, line_offset, source)
        except InputProblem as exc:
            yield _error_document(doc_id, source, str(exc), raw=raw)
    if not produced:
        raise InputProblem("no documents: the file has only blank lines")


def _jsonl_document(raw: bytes, line_number: int, line_offset: int, source: str) -> Document:
    where = f" (line {line_number})"
    _reject_nul(raw, line_offset, where)
    line = _decode_utf8(raw, line_offset, where)
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        # json's messages for some errors end in "at" ("Unterminated string starting at")
        message = exc.msg.removesuffix(" at")
        raise InputProblem(f"invalid JSON on line {line_number}: {message} at column {exc.colno}") from None
    except RecursionError:
        raise InputProblem(f"invalid JSON on line {line_number}: nested too deeply") from None
    if not isinstance(record, dict):
        raise InputProblem(f"line {line_number} is not a JSON object")
    doc_id = record.get("id")
    if isinstance(doc_id, int) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise InputProblem(f"line {line_number}: missing or empty 'id' (a string is required)")
    if "text" not in record:
        raise InputProblem(f"line {line_number}: missing 'text'")
    body = record["text"]
    if not isinstance(body, str):
        raise InputProblem(f"line {line_number}: 'text' must be a string, not {type(body).__name__}")
    title = record.get("title") or ""
    if not isinstance(title, str):
        raise InputProblem(f"line {line_number}: 'title' must be a string, not {type(title).__name__}")
    if not body.strip() and not title.strip():
        raise InputProblem(f"line {line_number}: empty 'text'")
    text = f"{title}\n\n{body}" if title else body
    return _ok_document(doc_id, source, text, title)


# ---------------------------------------------------------------------------
# PubTator: PMID|t|title, PMID|a|abstract, tab-separated annotations, blank line

def _read_pubtator(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    produced = False
    for record in _pubtator_records(handle):
        produced = True
        yield _pubtator_document(record, entry, source)
    if not produced:
        raise InputProblem("no documents: no PubTator records in the file")


def _pubtator_records(handle: BinaryIO) -> Iterator[list[tuple[int, int, bytes]]]:
    """Records as lists of (line number, byte offset, line without line end)."""
    record: list[tuple[int, int, bytes]] = []
    offset = 0
    for line_number, raw in enumerate(handle, start=1):
        line_offset, offset = offset, offset + len(raw)
        line = raw.rstrip(b"\r\n")
        if line_number == 1 and line.startswith(UTF8_BOM):
            line, line_offset = line[len(UTF8_BOM):], line_offset + len(UTF8_BOM)
        if not line.strip():
            if record:
                yield record
                record = []
            continue
        if record and PUBTATOR_TITLE_LINE.match(line):
            yield record  # next record without a blank line between
            record = []
        record.append((line_number, line_offset, line))
    if record:
        yield record


def _pubtator_document(record: list[tuple[int, int, bytes]], entry: FileEntry,
                       source: str) -> Document:
    raw = b"\n".join(line for _, _, line in record)
    first_line_number = record[0][0]
    doc_id = f"{entry.name}:{first_line_number}"
    try:
        lines = []
        for line_number, line_offset, line in record:
            where = f" (line {line_number})"
            _reject_nul(line, line_offset, where)
            lines.append((line_number, _decode_utf8(line, line_offset, where)))
        pmid, title = _pubtator_text_line(lines[0], "t", None)
        doc_id = pmid
        if len(lines) < 2:
            raise InputProblem(f"truncated PubTator record {pmid}: no abstract line '{pmid}|a|…' "
                               f"after line {first_line_number}")
        _, abstract = _pubtator_text_line(lines[1], "a", pmid)
        text = f"{title} {abstract}"
        for line_number, line in lines[2:]:
            _check_pubtator_annotation(line_number, line, pmid, text)
        return _ok_document(pmid, source, text, title)
    except InputProblem as exc:
        return _error_document(doc_id, source, str(exc), raw=raw)


def _pubtator_text_line(numbered_line: tuple[int, str], kind: str,
                        pmid: str | None) -> tuple[str, str]:
    line_number, line = numbered_line
    parts = line.split("|", 2)
    if len(parts) != 3 or parts[1] != kind or (pmid is not None and parts[0] != pmid):
        expected = f"{pmid or 'PMID'}|{kind}|{'title' if kind == 't' else 'abstract'}"
        raise InputProblem(f"malformed PubTator record: expected '{expected}' on line {line_number}")
    return parts[0], parts[2]


def _check_pubtator_annotation(line_number: int, line: str, pmid: str, text: str) -> None:
    fields = line.split("\t")
    if len(fields) < 3 or fields[0] != pmid:
        raise InputProblem(f"malformed PubTator line {line_number} in record {pmid}: "
                           f"expected tab-separated fields starting with '{pmid}'")
    if not fields[1].isdigit():
        return  # a relation line: PMID, relation type, concept ids
    if len(fields) < 4 or not fields[2].isdigit():
        raise InputProblem(f"malformed PubTator annotation on line {line_number}: "
                           "expected PMID, start, end, mention, …")
    start, end, mention = int(fields[1]), int(fields[2]), fields[3]
    if not start <= end <= len(text):
        raise InputProblem(f"PubTator annotation on line {line_number} ({start}-{end}) is past "
                           f"the end of the text ({len(text)} characters): truncated record?")
    if text[start:end] != mention:
        raise InputProblem(f"PubTator annotation on line {line_number}: text[{start}:{end}] is "
                           f"{text[start:end]!r}, the annotation says {mention!r}")


# ---------------------------------------------------------------------------
# PubMed XML: <PubmedArticleSet><PubmedArticle>…

def _read_pubmed_xml(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    head = handle.read(SNIFF_BYTES)
    root_start = XML_FIRST_ELEMENT.search(XML_COMMENT.sub(b"", head))
    prolog = head[:root_start.start()] if root_start else head
    if b"<!ENTITY" in XML_COMMENT.sub(b"", prolog):
        raise InputProblem("XML declares entities (<!ENTITY>): refused, entity expansion is unsafe")
    handle.seek(0)
    articles = 0
    root = None
    try:
        for event, element in ET.iterparse(handle, events=("start", "end")):
            if root is None:
                root = element
            if event == "end" and element.tag == "PubmedArticle":
                articles += 1
                try:
                    document = _pubmed_document(element, entry, source, articles)
                except RecursionError:
                    document = _error_document(f"{entry.name}:article-{articles}", source,
                                               f"PubmedArticle {articles} is nested too deeply")
                yield document
                root.clear()  # keep memory flat on large files
    except ET.ParseError as exc:
        raise InputProblem(f"malformed XML: {exc}"
                           + (f" (after {articles} articles)" if articles else "")) from None
    if not articles:
        raise InputProblem("no documents: no <PubmedArticle> elements in the XML")


def _element_text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _pubmed_document(article: ET.Element, entry: FileEntry, source: str,
                     number: int) -> Document:
    pmid = (article.findtext("MedlineCitation/PMID") or "").strip()
    doc_id = f"PMID:{pmid}" if pmid else f"{entry.name}:article-{number}"
    if not pmid:
        return _error_document(doc_id, source, f"PubmedArticle {number} has no PMID",
                               raw=ET.tostring(article))
    title = _element_text(article.find("MedlineCitation/Article/ArticleTitle"))
    parts = []
    for part in article.iterfind("MedlineCitation/Article/Abstract/AbstractText"):
        body = _element_text(part)
        if body:
            label = (part.get("Label") or "").strip()
            parts.append(f"{label}: {body}" if label else body)
    abstract = "\n".join(parts)
    text = "\n\n".join(piece for piece in (title, abstract) if piece)
    if not text:
        return _error_document(doc_id, source, f"PMID {pmid} has no title and no abstract",
                               raw=ET.tostring(article))
    try:
        return _ok_document(doc_id, source, text, title)
    except InputProblem as exc:
        return _error_document(doc_id, source, str(exc), raw=ET.tostring(article))


# ---------------------------------------------------------------------------
# BioC collections (XML or JSON): one document per <document>, passages at their offsets

def _read_bioc(entry: FileEntry, source: str, handle: BinaryIO, fmt: str) -> Iterator[Document]:
    from pipeline.bioc_io import BioCProblem, document_fields, load_collection

    if fmt == "xml":
        head = handle.read(SNIFF_BYTES)
        if b"<!ENTITY" in XML_COMMENT.sub(b"", head):
            raise InputProblem("XML declares entities (<!ENTITY>): refused, entity expansion is unsafe")
        handle.seek(0)
    try:
        collection = load_collection(handle, fmt)
    except BioCProblem as exc:
        raise InputProblem(str(exc)) from None
    if not collection.documents:
        raise InputProblem(f"no documents: the BioC {fmt.upper()} collection is empty")
    for number, bioc_document in enumerate(collection.documents, start=1):
        doc_id = str(bioc_document.id or "").strip() or f"{entry.name}:document-{number}"
        try:
            title, text = document_fields(bioc_document)
            _require_text(text)
            yield _ok_document(doc_id, source, text, title)
        except (BioCProblem, InputProblem) as exc:
            yield _error_document(doc_id, source, f"BioC document {number}: {exc}")


def _read_bioc_xml(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    return _read_bioc(entry, source, handle, "xml")


def _read_bioc_json(entry: FileEntry, source: str, handle: BinaryIO) -> Iterator[Document]:
    return _read_bioc(entry, source, handle, "json")


READERS = {
    "bioc_xml": _read_bioc_xml,
    "bioc_json": _read_bioc_json,
    "text": _read_text,
    "markdown": _read_markdown,
    "html": _read_html,
    "jsonl": _read_jsonl,
    "pubtator": _read_pubtator,
    "pubmed_xml": _read_pubmed_xml,
}
