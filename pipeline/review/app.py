"""The review web app (FastAPI + Jinja2, autoescaped; plain JavaScript for the keys).

Routes
  GET  /                         → /queue
  GET  /queue                    facts to review; filters status, predicate, entity, doc, certainty; sort
  GET  /facts/{key}              one fact: evidence, paragraph, fields, decision forms, history
  POST /facts/{key}/{action}     accept | reject | edit | comment | reset  (csrf_token + version)
  GET  /api/facts/{key}          the fact and its decision as JSON
  GET  /documents                documents with fact counts
  GET  /documents/{doc_id}       a document's facts in text order, and its text, highlighted
  GET  /claims/{claim_key}       every fact with that claim key, across documents
  GET  /audit                    the audit log (filter: curator, key)
  GET  /curator, POST /curator   ask for the curator name once (kept in a cookie)

Document text is untrusted: Jinja2 autoescapes everything, the Content-Security-Policy
allows only this app's own script and style files, every POST needs the CSRF token of
the session, and only local host names are accepted (DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.trustedhost import TrustedHostMiddleware

from pipeline import store
from pipeline.review import agreement
from pipeline.schema import FACT_COLUMNS, PREDICATES

PACKAGE_DIR = Path(__file__).resolve().parent
SESSION_COOKIE = "alsfacts_session"
CURATOR_COOKIE = "alsfacts_curator"
LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
PAGE_SIZE = 200
MAX_NAME = 60

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

QUEUE_PARAMS = ("status", "predicate", "entity", "doc", "certainty", "sort",
                "agreement", "agreement_sort")  # the last two: pipeline/review/agreement.py


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
                       REJECT_REASONS=store.REJECT_REASONS, FIELD_CHOICES=store.FIELD_CHOICES,
                       FACT_COLUMNS=FACT_COLUMNS, CONTEXT_FIELDS=store.CONTEXT_FIELDS, sentence_segments=sentence_segments)
    return env


def safe_next(target: str | None, default: str = "/queue") -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative '//'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def queue_filter(params) -> tuple[store.FactFilter, str]:
    """FactFilter from query or form parameters, and the query string that reproduces it."""
    values = {name: (params.get(name) or "").strip() for name in QUEUE_PARAMS}
    flt = store.FactFilter(
        status=values["status"] or "pending", predicate=values["predicate"], entity=values["entity"],
        doc_id=values["doc"], certainty=values["certainty"], sort=values["sort"] or "confidence_desc",
    )
    values["status"] = flt.status
    return flt, urlencode({k: v for k, v in values.items() if v})


def neighbours(keys: list[str], key: str) -> tuple[str | None, str | None]:
    """(previous, next) of key in the queue; a key no longer in it continues at the queue's start."""
    if key in keys:
        index = keys.index(key)
        return (keys[index - 1] if index > 0 else None), (keys[index + 1] if index + 1 < len(keys) else None)
    return None, (keys[0] if keys else None)


# ---------------------------------------------------------------- the app

def create_app(db_path: str | Path, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The review app over the store at db_path (created if missing)."""
    db_path = Path(db_path)
    setup = store.connect(db_path)
    try:
        secret = store.meta_value(setup, "csrf_secret", lambda: secrets.token_hex(32)).encode()
    finally:
        setup.close()
    env = make_env()

    app = FastAPI(title="alsfacts review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db_path = db_path
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or LOCAL_HOSTS))

    def csrf_for(session: str) -> str:
        return hmac.new(secret, session.encode(), hashlib.sha256).hexdigest()

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next):
        session = request.cookies.get(SESSION_COOKIE) or ""
        fresh = len(session) < 32
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

    async def checked_form(request: Request) -> dict:
        """The POSTed form, after checking its CSRF token against the session cookie (403 otherwise)."""
        form = await request.form()
        token = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
        session = request.cookies.get(SESSION_COOKIE) or ""
        if not session or not token or not hmac.compare_digest(token, csrf_for(session)):
            raise HTTPException(status_code=403, detail="Missing or wrong CSRF token: reload the page and try again.")
        return {key: form.get(key) for key in form.keys()}

    def curator_of(request: Request) -> str:
        return unquote(request.cookies.get(CURATOR_COOKIE) or "").strip()

    def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
        context.update(request=request, csrf_token=request.state.csrf_token, curator=curator_of(request),
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

    # ---- pages

    @app.get("/")
    def index():
        return RedirectResponse("/queue", status_code=303)

    @app.get("/curator")
    def curator_page(request: Request, next: str = "/queue"):
        return render(request, "curator.html", next=safe_next(next))

    @app.post("/curator")
    def set_curator(request: Request, form: dict = Depends(checked_form)):
        name = " ".join(str(form.get("name") or "").split())[:MAX_NAME]
        target = safe_next(form.get("next"))
        if not name:
            return render(request, "curator.html", status_code=400, next=target, error="Please enter your name.")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(CURATOR_COOKIE, quote(name, safe=""), max_age=365 * 24 * 3600,
                            httponly=True, samesite="strict", path="/")
        return response

    @app.get("/queue")
    def queue(request: Request, page: int = 1, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        flt, qs = queue_filter(request.query_params)
        total = store.count_facts(conn, flt)
        page = max(1, page)
        facts = store.list_facts(conn, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        facts, total = agreement.arrange_queue(conn, flt, request.query_params, facts, total, page, PAGE_SIZE)
        return render(request, "queue.html", facts=facts, flt=flt, qs=qs, total=total, page=page,
                      pages=max(1, -(-total // PAGE_SIZE)), documents=store.list_documents(conn),
                      sorts=list(store.SORTS), agreement_params=request.query_params)

    def fact_page(request: Request, conn, key: str, status_code: int = 200, **extra) -> HTMLResponse:
        fact = store.get_fact(conn, key)
        if fact is None:
            raise HTTPException(status_code=404, detail="No fact with this key in the store.")
        flt, qs = queue_filter(request.query_params if request.method == "GET" else extra.pop("queue_params", {}))
        prev_key, next_key = neighbours(store.queue_keys(conn, flt), key)
        paragraph = store.paragraph_of(conn, fact)
        paragraph_segments = None
        if paragraph is not None:
            text, start = paragraph
            paragraph_segments = segments(text, start, [(fact["sentence_start"], fact["sentence_end"], "sent")]
                                          + argument_spans(fact))
        same_claim = store.facts_of_claim(conn, fact["claim_key"])
        return render(request, "fact.html", status_code=status_code, fact=fact, qs=qs, flt=flt,
                      prev_key=prev_key, next_key=next_key, sentence=sentence_segments(fact),
                      paragraph=paragraph_segments, same_claim=len(same_claim),
                      history=store.audit_entries(conn, key=key), editable=store.EDITABLE_FIELDS,
                      agreement=agreement.fact_agreement(conn, fact), **extra)

    @app.get("/facts/{key}")
    def fact_view(request: Request, key: str, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        return fact_page(request, conn, key)

    @app.get("/api/facts/{key}")
    def fact_json(key: str, conn=Depends(db)):
        fact = store.get_fact(conn, key)
        if fact is None:
            raise HTTPException(status_code=404, detail="No fact with this key in the store.")
        return {"fact": {c: fact[c] for c in FACT_COLUMNS}, "content_key": key, "orphaned": fact["orphaned"],
                "state": store.current_state(conn, key), "effective": fact["effective"]}

    @app.post("/facts/{key}/{action}")
    def decide(request: Request, key: str, action: str, form: dict = Depends(checked_form), conn=Depends(db)):
        if action not in store.ACTIONS:
            raise HTTPException(status_code=404, detail=f"Unknown action {action!r}.")
        curator = curator_of(request)
        queue_params = dict(parse_qsl(str(form.get("queue") or "")))
        flt, qs = queue_filter(queue_params)
        _, next_key = neighbours(store.queue_keys(conn, flt), key)
        try:
            version = int(form.get("version", ""))
        except ValueError:
            raise HTTPException(status_code=400, detail="The form carries no version.") from None
        try:
            state = store.decide(conn, key, action, version, curator, form)
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
        doc = store.get_document(conn, doc_id)
        if doc is None:
            raise HTTPException(status_code=404, detail="No document with this id in the store.")
        facts = store.facts_of_document(conn, doc_id)
        spans = [span for fact in facts if fact["doc_sha256"] == doc["sha256"] for span in argument_spans(fact)]
        text = doc.get("text")
        if text:
            body = [segments(text, 0, spans)]
        else:
            body = [segments(s["text"], s["start"], spans) for s in store.sentences_of_document(conn, doc_id)]
        return render(request, "document.html", doc=doc, facts=facts, body=body, has_text=bool(text))

    @app.get("/claims/{claim_key:path}")
    def claim(request: Request, claim_key: str, conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        facts = store.facts_of_claim(conn, claim_key)
        if not facts:
            raise HTTPException(status_code=404, detail="No fact with this claim key in the store.")
        counts = {status: sum(1 for f in facts if f["status"] == status) for status in store.STATUSES}
        return render(request, "claim.html", claim_key=claim_key, facts=facts, counts=counts,
                      n_documents=len({f["doc_id"] for f in facts}),
                      agreement=agreement.claim_agreement(conn, claim_key))

    @app.get("/audit")
    def audit(request: Request, curator: str = "", key: str = "", conn=Depends(db)):
        if redirect := ask_curator(request):
            return redirect
        return render(request, "audit.html", entries=store.audit_entries(conn, key=key or None,
                                                                         curator=curator or None),
                      filter_curator=curator, filter_key=key)

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    return app
