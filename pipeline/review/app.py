"""The review web app (FastAPI + Jinja2, autoescaped; plain JavaScript for the keys).

Routes
  GET  /                         → /queue
  GET  /queue                    facts to review; filters status, predicate, entity, doc, certainty, q; sort
  POST /bulk/{action}            accept | reject the selected facts (item=key:version, one audit row each)
  GET  /facts/{key}              one fact: evidence, paragraph, fields, decision forms, history
  POST /facts/{key}/{action}     accept | reject | edit | discard_edits | comment | reset (csrf_token + version)
  GET  /api/facts/{key}          the fact and its decision as JSON
  GET  /api/concepts?q=&type=    knowledge-base concepts by id or name (the edit form's id picker)
  GET  /documents                documents with fact counts
  GET  /documents/{doc_id}       a document's facts in text order, and its text, highlighted
  GET  /claims/{claim_key}       every fact with that claim key, across documents
  GET  /audit                    the audit log (filter: curator, key)
  GET  /curator, POST /curator   ask for the curator name once (kept in a cookie)
  GET  /login/{token}            with --curators: a curator's personal link

Document text is untrusted: Jinja2 autoescapes everything, the Content-Security-Policy
allows only this app's own script and style files, every POST needs the CSRF token of
the session and, when the browser sends one, an Origin (or Referer) of this app; only
local host names are accepted (DNS rebinding). Parameters are typed and bounded: bad
ones get a 400 naming the problem, uploads a 415.

A curator name is a label the curator types, not an identity. With a curators list,
only the curators on it may decide, each through a personal link whose token is kept
in an HttpOnly cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.trustedhost import TrustedHostMiddleware

from pipeline import store
from pipeline.review import agreement
from pipeline.review.concepts import Concepts
from pipeline.schema import ENTITY_TYPES, FACT_COLUMNS, PREDICATES

PACKAGE_DIR = Path(__file__).resolve().parent
SESSION_COOKIE = "alsfacts_session"
CURATOR_COOKIE = "alsfacts_curator"
LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
PAGE_SIZE = 100
MAX_PAGE = 1_000_000
MAX_NAME = 60
MAX_KEY = 200                    # a content key, claim key or document id in a parameter
MAX_BODY = 1_000_000             # bytes of one POSTed form
MAX_BULK = 1_000                 # facts in one bulk decision
FORM_TYPE = "application/x-www-form-urlencoded"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make browsers send "Origin: null" on POST
    "Cache-Control": "no-store",
}

QUEUE_PARAMS = ("status", "predicate", "entity", "doc", "certainty", "q", "sort",
                "agreement", "agreement_sort")  # the last two: pipeline/review/agreement.py
# Allowed values of the queue parameters that have a fixed set; the others are bounded text.
QUEUE_CHOICES = {"status": store.QUEUE_STATUSES, "predicate": [""] + PREDICATES,
                 "certainty": [""] + store.CERTAINTIES, "sort": [""] + list(store.SORTS),
                 "agreement": [""] + store.AGREEMENTS, "agreement_sort": [""] + list(store.AGREEMENT_SORTS)}
QUEUE_LIMITS = {"entity": store.MAX_QUERY, "q": store.MAX_QUERY, "doc": MAX_KEY}


# ---------------------------------------------------------------- rendering helpers

def segments(text: str, base: int, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """Cut `text` (which starts at document offset `base`) into (piece, css classes) at span bounds."""
    cuts, inside = {0, len(text)}, []
    for start, end, css in spans:
        if start is None or end is None:
            continue
        start, end = max(0, start - base), min(len(text), end - base)
        if start < end:
            inside.append((start, end, css))
            cuts |= {start, end}
    bounds = sorted(cuts)
    return [(text[a:b], " ".join(sorted({css for s, e, css in inside if s <= a and b <= e})))
            for a, b in zip(bounds, bounds[1:])]


def argument_spans(fact: dict) -> list[tuple[int, int, str]]:
    return [(fact["subject_start"], fact["subject_end"], "subj"), (fact["object_start"], fact["object_end"], "obj")]


def sentence_segments(fact: dict) -> list[tuple[str, str]]:
    return segments(fact["sentence"], fact["sentence_start"], argument_spans(fact))


def make_env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(PACKAGE_DIR / "templates")), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["q"] = lambda value: quote(str(value or ""), safe="")
    env.filters["conf"] = lambda value: "" if value is None else f"{float(value):.2f}"
    env.globals.update(PREDICATES=PREDICATES, STATUSES=store.STATUSES, CERTAINTIES=store.CERTAINTIES,
                       AGREEMENTS=store.AGREEMENTS, AGREEMENT_SORTS=store.AGREEMENT_SORTS,
                       ENTITY_TYPES=ENTITY_TYPES, MAX_TEXT=store.MAX_TEXT,
                       REJECT_REASONS=store.REJECT_REASONS, FIELD_CHOICES=store.FIELD_CHOICES,
                       FACT_COLUMNS=FACT_COLUMNS, CONTEXT_FIELDS=store.CONTEXT_FIELDS, sentence_segments=sentence_segments)
    return env


def safe_next(target: str | None, default: str = "/queue") -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative '//'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def queue_filter(params) -> tuple[store.FactFilter, str]:
    """FactFilter from query or form parameters, and the query string that reproduces it (400 if invalid)."""
    values = {}
    for name in QUEUE_PARAMS:
        value = params.get(name)
        value = (value if isinstance(value, str) else "").strip()
        choices = QUEUE_CHOICES.get(name)
        if choices is not None and value and value not in choices:
            raise bad_request(f"{name} must be one of {', '.join(c for c in choices if c)}")
        if len(value) > QUEUE_LIMITS.get(name, MAX_KEY):
            raise bad_request(f"{name} is longer than {QUEUE_LIMITS.get(name, MAX_KEY)} characters")
        values[name] = value
    flt = store.FactFilter(
        status=values["status"] or "pending", predicate=values["predicate"], entity=values["entity"],
        doc_id=values["doc"], certainty=values["certainty"], search=values["q"],
        sort=values["sort"] or "confidence_desc", agreement=values["agreement"],
        agreement_sort=values["agreement_sort"],
    )
    values["status"] = flt.status
    return flt, urlencode({k: v for k, v in values.items() if v})


def page_number(raw: str | None) -> int:
    """A page parameter: a whole number from 1 to MAX_PAGE (400 otherwise)."""
    raw = (raw or "1").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or not 1 <= int(raw) <= MAX_PAGE:
        raise bad_request(f"page must be a whole number from 1 to {MAX_PAGE:,}")
    return int(raw)


def read_curators(path: str | Path) -> list[str]:
    """Curator names from a file, one a line (blank lines and # comments skipped)."""
    names = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        name = " ".join(line.split("#", 1)[0].split())
        if not name:
            continue
        if len(name) > MAX_NAME:
            raise ValueError(f"line {number}: a curator name has at most {MAX_NAME} characters")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError("no curator names (one a line)")
    return names


def fact_line(fact: dict) -> str:
    """subject [attribute] — [NOT] predicate — object [attribute], certainty: the fact on one line, as text."""
    eff = fact["effective"]

    def argument(role: str) -> str:
        name = eff[f"{role}_name"] or fact[f"{role}_text"]
        attribute = eff[f"{role}_attribute"]
        return f"{name} [{attribute}]" if attribute else name

    negation = "NOT " if eff["negated"] else ""
    return f"{argument('subject')} — {negation}{eff['predicate']} — {argument('object')} ({eff['certainty']})"


def claim_names(conn, claim_key: str) -> tuple[str, str, str]:
    """(subject, predicate, object) of a claim key in words: concept names where the store has them."""
    subject, _, rest = claim_key.partition("|")
    predicate, _, obj = rest.partition("|")
    names = {}
    for fact in store.facts_of_claim(conn, claim_key):
        eff = fact["effective"]
        for role in ("subject", "object"):
            names.setdefault(eff[f"{role}_id"] or fact[f"{role}_text"].lower(),
                             eff[f"{role}_name"] or fact[f"{role}_text"])
    return names.get(subject, subject), predicate, names.get(obj, obj)


def neighbours(keys: list[str], key: str) -> tuple[str | None, str | None]:
    """(previous, next) of key in the queue; a key no longer in it continues at the queue's start."""
    if key in keys:
        index = keys.index(key)
        return (keys[index - 1] if index > 0 else None), (keys[index + 1] if index + 1 < len(keys) else None)
    return None, (keys[0] if keys else None)


# ---------------------------------------------------------------- the app

def create_app(db_path: str | Path, allowed_hosts: list[str] | None = None,
               curators: list[str] | None = None) -> FastAPI:
    """The review app over the store at db_path (created if missing).

    curators: when given, only these curators may decide, each through the personal
    link in app.state.curator_links; the name form is closed.
    """
    db_path = Path(db_path)
    setup = store.connect(db_path)
    try:
        secret = store.meta_value(setup, "csrf_secret", lambda: secrets.token_hex(32)).encode()
    finally:
        setup.close()
    env = make_env()
    concepts = Concepts()

    app = FastAPI(title="alsfacts review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db_path = db_path
    app.state.concepts = concepts
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or LOCAL_HOSTS))

    def signed(purpose: str, value: str) -> str:
        return hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_for(session: str) -> str:
        return signed("csrf", session)

    curator_tokens = {signed("curator", name)[:32]: name for name in curators or []}
    app.state.curator_links = {name: f"/login/{token}" for token, name in curator_tokens.items()}

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next):
        session = request.cookies.get(SESSION_COOKIE) or ""
        fresh = not 32 <= len(session) <= 64
        if fresh:
            session = secrets.token_urlsafe(32)
        request.state.csrf_token = csrf_for(session)
        response = await call_next(request)
        if fresh:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def db():
        conn = store.connect(db_path)
        try:
            yield conn
        finally:
            conn.close()

    def same_origin(request: Request) -> bool:
        """The browser's Origin (or, without it, Referer) names this app; True when it sends neither."""
        claimed = request.headers.get("origin") or request.headers.get("referer")
        if claimed is None:
            return True
        parts = urlsplit(claimed)
        return parts.scheme in {"http", "https"} and parts.netloc == request.headers.get("host", "")

    async def checked_form(request: Request) -> dict:
        """The POSTed form, after checking its type, size, origin and CSRF token; `item` values as a list."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM_TYPE:
            raise HTTPException(status_code=415, detail=f"Send a form ({FORM_TYPE}); uploads are not accepted.")
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_BODY:
            raise HTTPException(status_code=413, detail=f"A form is at most {MAX_BODY:,} bytes.")
        if not same_origin(request):
            raise HTTPException(status_code=403, detail="This form was sent from another site.")
        form = await request.form()
        token = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
        session = request.cookies.get(SESSION_COOKIE) or ""
        if not session or not token or not hmac.compare_digest(token.encode(), csrf_for(session).encode()):
            raise HTTPException(status_code=403, detail="Missing or wrong CSRF token: reload the page and try again.")
        values = {key: form.get(key) for key in form.keys() if key != "item"}
        values["item"] = form.getlist("item")
        return values

    def curator_of(request: Request) -> str:
        raw = request.cookies.get(CURATOR_COOKIE) or ""
        if curators is not None:
            return curator_tokens.get(raw, "")
        name = " ".join(unquote(raw).split())
        return name if len(name) <= MAX_NAME else ""

    def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
        context.update(request=request, csrf_token=request.state.csrf_token, curator=curator_of(request),
                       restricted=curators is not None,
                       here=request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return HTMLResponse(env.get_template(template).render(**context), status_code=status_code)

    def ask_curator(request: Request) -> RedirectResponse | None:
        if curator_of(request):
            return None
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/curator?next={quote(here, safe='')}", status_code=303)

    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if wants_json(request) or request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return render(request, "error.html", status_code=exc.status_code, status=exc.status_code, message=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(request: Request, exc: RequestValidationError):
        fields = ", ".join(str(error.get("loc", ["?"])[-1]) for error in exc.errors())
        return await http_error(request, bad_request(f"Invalid parameter: {fields}."))

    # ---- pages

    @app.get("/")
    def index():
        return RedirectResponse("/queue", status_code=303)

    @app.get("/curator")
    def curator_page(request: Request, next: str = "/queue"):
        return render(request, "curator.html", next=safe_next(next[:2000]))

    @app.post("/curator")
    def set_curator(request: Request, form: dict = Depends(checked_form)):
        if curators is not None:
            raise HTTPException(status_code=403, detail="Only the listed curators may decide: open your personal link.")
        raw = form.get("name")
        name = " ".join(raw.split()) if isinstance(raw, str) else ""
        target = safe_next(form.get("next") if isinstance(form.get("next"), str) else None)
        if not name or len(name) > MAX_NAME:
            return render(request, "curator.html", status_code=400, next=target,
                          error=f"Please enter your name ({MAX_NAME} characters at most).")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(CURATOR_COOKIE, quote(name, safe=""), max_age=365 * 24 * 3600,
                            httponly=True, samesite="strict", path="/")
        return response

    @app.get("/login/{token}")
    def login(token: str):
        if token not in curator_tokens:
            raise HTTPException(status_code=404, detail="This link is not a curator's link of this review app.")
        response = RedirectResponse("/queue", status_code=303)
        response.set_cookie(CURATOR_COOKIE, token, max_age=30 * 24 * 3600, httponly=True, samesite="strict",
                            path="/")
        return response

    @app.get("/queue")
    def queue(request: Request, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        flt, qs = queue_filter(request.query_params)
        page = page_number(request.query_params.get("page"))
        agreement.prepare_filter(conn, flt)
        total = store.count_facts(conn, flt)
        facts = store.list_facts(conn, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        agreement.queue_agreement(conn, facts)
        message = None
        done, skipped = request.query_params.get("done", ""), request.query_params.get("skipped", "")
        if done.isdigit() and skipped.isdigit() and len(done + skipped) < 12:
            message = (f"{done} {'fact' if done == '1' else 'facts'} decided"
                       + (f"; {skipped} skipped (changed by someone else meanwhile)" if skipped != "0" else ""))
        return render(request, "queue.html", facts=facts, flt=flt, qs=qs, total=total, page=page,
                      pages=max(1, -(-total // PAGE_SIZE)), sorts=list(store.SORTS), counts=store.status_counts(conn, flt),
                      overall=store.status_counts(conn), message=message, fact_line=fact_line,
                      queue_statuses=store.QUEUE_STATUSES)

    @app.post("/bulk/{action}")
    def bulk(request: Request, action: str, form: dict = Depends(checked_form), conn=Depends(db)):
        if action not in {"accept", "reject"}:
            raise HTTPException(status_code=404, detail=f"Unknown bulk action {action[:40]!r}.")
        curator = curator_of(request)
        if not curator:
            raise HTTPException(status_code=403, detail="Say who you are first (or open your personal link).")
        queue_params = form.get("queue") if isinstance(form.get("queue"), str) else ""
        _, qs = queue_filter(dict(parse_qsl(queue_params[:2000])))
        items = []
        for item in form["item"][:MAX_BULK + 1]:
            key, _, version = str(item).partition(":")
            if len(key) > MAX_KEY or not version.isascii() or not version.isdigit() or len(version) > 9:
                raise bad_request("Each selected fact is sent as key:version.")
            items.append((key, int(version)))
        if not items or len(items) > MAX_BULK:
            raise bad_request(f"Select from 1 to {MAX_BULK:,} facts.")
        try:
            result = store.decide_many(conn, items, action, curator, form)
        except store.InvalidDecision as invalid:
            raise bad_request(str(invalid)) from None
        if wants_json(request):
            return {"ok": True, **result}
        skipped = len(result["conflicts"]) + len(result["missing"])
        return RedirectResponse(f"/queue?{qs}&done={len(result['done'])}&skipped={skipped}", status_code=303)

    def fact_page(request: Request, conn, key: str, status_code: int = 200, **extra) -> HTMLResponse:
        fact = store.get_fact(conn, key) if len(key) <= MAX_KEY else None
        if fact is None:
            raise HTTPException(status_code=404, detail="No fact with this key in the store.")
        flt, qs = queue_filter(request.query_params if request.method == "GET" else extra.pop("queue_params", {}))
        agreement.prepare_filter(conn, flt)
        keys = store.queue_keys(conn, flt)
        prev_key, next_key = neighbours(keys, key)
        position = keys.index(key) + 1 if key in keys else None
        paragraph = store.paragraph_of(conn, fact)
        paragraph_segments = None
        if paragraph is not None:
            text, start = paragraph
            paragraph_segments = segments(text, start, [(fact["sentence_start"], fact["sentence_end"], "sent")]
                                          + argument_spans(fact))
        same_claim = store.facts_of_claim(conn, fact["effective"]["claim_key"])
        return render(request, "fact.html", status_code=status_code, fact=fact, qs=qs, flt=flt,
                      prev_key=prev_key, next_key=next_key, position=position, queue_size=len(keys),
                      line=fact_line(fact), sentence=sentence_segments(fact),
                      paragraph=paragraph_segments, same_claim=len(same_claim),
                      history=store.audit_entries(conn, key=key), editable=store.EDITABLE_FIELDS,
                      max_text=store.MAX_TEXT, max_field=store.MAX_FIELD,
                      agreement=agreement.fact_agreement(conn, fact), **extra)

    @app.get("/facts/{key}")
    def fact_view(request: Request, key: str, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        return fact_page(request, conn, key)

    @app.get("/api/facts/{key}")
    def fact_json(key: str, conn=Depends(db)):
        fact = store.get_fact(conn, key) if len(key) <= MAX_KEY else None
        if fact is None:
            raise HTTPException(status_code=404, detail="No fact with this key in the store.")
        return {"fact": {c: fact[c] for c in FACT_COLUMNS}, "content_key": key, "orphaned": fact["orphaned"],
                "state": store.current_state(conn, key), "effective": fact["effective"]}

    @app.get("/api/concepts")
    def concept_search(q: str = "", type: str = ""):
        if len(q) > store.MAX_QUERY or (type and type not in ENTITY_TYPES):
            raise bad_request(f"q is at most {store.MAX_QUERY} characters; type one of {', '.join(ENTITY_TYPES)}")
        return {"concepts": concepts.search(q, type)}

    @app.post("/facts/{key}/{action}")
    def decide(request: Request, key: str, action: str, form: dict = Depends(checked_form), conn=Depends(db)):
        if action not in store.ACTIONS:
            raise HTTPException(status_code=404, detail=f"Unknown action {action[:40]!r}.")
        if len(key) > MAX_KEY:
            raise HTTPException(status_code=404, detail="No fact with this key in the store.")
        curator = curator_of(request)
        if curators is not None and not curator:
            raise HTTPException(status_code=403, detail="Only the listed curators may decide: open your personal link.")
        queue_params = dict(parse_qsl(str(form.get("queue") or "")[:2000]))
        flt, qs = queue_filter(queue_params)
        agreement.prepare_filter(conn, flt)
        _, next_key = neighbours(store.queue_keys(conn, flt), key)
        raw_version = form.get("version")
        raw_version = raw_version.strip() if isinstance(raw_version, str) else ""
        if not raw_version.isascii() or not raw_version.isdigit() or len(raw_version) > 9:
            raise bad_request("The form carries no version.")
        version = int(raw_version)
        try:
            state = store.decide(conn, key, action, version, curator, form, concepts=concepts.get)
        except KeyError:
            raise HTTPException(status_code=404, detail="No fact with this key in the store.") from None
        except store.Conflict as conflict:
            if wants_json(request):
                return JSONResponse({"error": "conflict", "message": str(conflict), "current": conflict.current},
                                    status_code=409)
            return fact_page(request, conn, key, status_code=409, conflict=str(conflict),
                             current=conflict.current, queue_params=queue_params)
        except store.InvalidDecision as invalid:
            if wants_json(request):
                return JSONResponse({"error": "invalid", "message": str(invalid)}, status_code=400)
            return fact_page(request, conn, key, status_code=400, error=str(invalid), queue_params=queue_params)
        if wants_json(request):
            return {"ok": True, "content_key": key, "state": state}
        if action in {"accept", "reject", "edit"} and next_key:
            return RedirectResponse(f"/facts/{next_key}?{qs}", status_code=303)
        if action in {"accept", "reject", "edit"}:
            return RedirectResponse(f"/queue?{qs}", status_code=303)
        return RedirectResponse(f"/facts/{key}?{qs}", status_code=303)

    @app.get("/documents")
    def documents(request: Request, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        return render(request, "documents.html", documents=store.list_documents(conn))

    @app.get("/documents/{doc_id:path}")
    def document(request: Request, doc_id: str, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        doc = store.get_document(conn, doc_id) if len(doc_id) <= 4 * MAX_KEY else None
        if doc is None:
            raise HTTPException(status_code=404, detail="No document with this id in the store.")
        facts = store.facts_of_document(conn, doc_id)
        spans = [span for fact in facts if fact["doc_sha256"] == doc["sha256"] for span in argument_spans(fact)]
        text = doc.get("text")
        if text:
            body = [segments(text, 0, spans)]
        else:
            body = [segments(s["text"], s["start"], spans) for s in store.sentences_of_document(conn, doc_id)]
        return render(request, "document.html", doc=doc, facts=facts, body=body, has_text=bool(text),
                      fact_line=fact_line)

    @app.get("/claims/{claim_key:path}")
    def claim(request: Request, claim_key: str, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        facts = store.facts_of_claim(conn, claim_key) if len(claim_key) <= 4 * MAX_KEY else []
        if not facts:
            raise HTTPException(status_code=404, detail="No fact with this claim key in the store.")
        counts = {status: sum(1 for f in facts if f["status"] == status) for status in store.STATUSES}
        return render(request, "claim.html", claim_key=claim_key, facts=facts, counts=counts,
                      names=claim_names(conn, claim_key), fact_line=fact_line,
                      n_documents=len({f["doc_id"] for f in facts}),
                      agreement=agreement.claim_agreement(conn, claim_key))

    @app.get("/audit")
    def audit(request: Request, curator: str = "", key: str = "", conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        if len(curator) > MAX_NAME or len(key) > MAX_KEY:
            raise bad_request(f"curator is at most {MAX_NAME} characters, key at most {MAX_KEY}")
        return render(request, "audit.html", entries=store.audit_entries(conn, key=key or None,
                                                                         curator=curator or None),
                      filter_curator=curator, filter_key=key)

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    return app
