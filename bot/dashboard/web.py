"""The dashboard's routes (Starlette), mounted under /dashboard by `athar web`
(bot.channels.web.create_app).

Signing in. The bot's /dashboard command sends a link `/dashboard/signin/<secret>`. Opening it
shows a page with one button (link previews and mail scanners fetch URLs: a GET never uses the
link); pressing it (POST) uses the link, atomically and once (a second use, a used or expired
link, an unknown one: refused with a page that says why), and opens a session: a cookie
`athar_session` (HttpOnly, SameSite=Lax, Secure when served over HTTPS, Path=/dashboard) whose
secret is stored only as a hash, valid `dashboard.session_hours`. Signing out deletes it.

Every form (language, sign-out, downloads) carries a CSRF token derived from the session
(domain.access.csrf_token), and a POST whose Origin is another site is refused. Pages are sent
with no-store caching, no referrer, no framing and a strict Content-Security-Policy (no script).

Who sees what: bot.dashboard.views (coordinators everything, officials and staff their own
commune). Every access, allowed or refused, is written to the audit log with the user's id (when
known), what was asked (overview, commune id, project id, poll id) and the outcome: no address,
no browser, no name.

Language: French or Arabic, the user's choice kept in the database (web_preferences); before a
choice, the chat language (Darija: Arabic; Arabizi: French); signed out, the browser's
Accept-Language.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from domain.access import (
    csrf_token,
    link_state,
    may_use,
    new_token,
    same_secret,
    secret_hash,
    sees_everything,
)
from domain.records import AuditEntry, User, utcnow
from domain.languages import Lang, document_language

from bot.dashboard.downloads import WAIT, WHAT, Jobs, job_for
from bot.dashboard.render import Page, render
from bot.dashboard.views import Dashboard, Forbidden, NotFound

log = logging.getLogger("athar.dashboard")

PREFIX = "/dashboard"
COOKIE = "athar_session"
MAX_FORM = 4096
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def _url(path: str) -> Markup:
    """A URL of ours, written into a page as it is (never masked as if it were a phone number:
    bot.dashboard.render masks every other string)."""
    return Markup(escape(quote(path, safe="/")))


class Urls:
    overview = PREFIX
    language = PREFIX + "/language"
    signout = PREFIX + "/signout"
    export = PREFIX + "/export"

    @staticmethod
    def job(public_id: str, back: str | None = None) -> Markup:
        return _url(f"{PREFIX}/jobs/{public_id}") + (
            Markup("?back=") + escape(quote(back, safe="/")) if back else ""
        )

    @staticmethod
    def job_file(public_id: str) -> Markup:
        return _url(f"{PREFIX}/jobs/{public_id}/file")

    @staticmethod
    def commune(cid: str) -> Markup:
        return _url(f"{PREFIX}/commune/{cid}")

    @staticmethod
    def project(pid: int) -> Markup:
        return _url(f"{PREFIX}/project/{pid}")

    @staticmethod
    def poll(pid: int) -> Markup:
        return _url(f"{PREFIX}/poll/{pid}")

    @staticmethod
    def signin(secret: str) -> Markup:
        return _url(f"{PREFIX}/signin/{secret}")


class OfficialUrls(Urls):
    overview = None  # type: ignore[assignment]  # officials have no programme overview


@dataclass
class Chrome:
    """The header of a signed-in page: home link, language and sign-out forms."""

    home: str
    home_label: str
    language_url: str
    signout_url: str
    csrf: str
    here: str
    export_url: str
    formats: dict[str, tuple[str, ...]]  # the formats of each export this viewer may have


@dataclass
class Viewer:
    user: User
    secret: str  # the session's secret (the cookie)
    lang: str


def timed(endpoint: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """The endpoint, its response saying how long the server took (`Server-Timing: app;dur=`,
    in milliseconds: what `make bench` reads, and a browser's developer tools show)."""

    async def run(request: Request) -> Response:
        started = time.perf_counter()
        response = await endpoint(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    return run


def _back(path: str | None) -> str:
    """A page of the dashboard to go back to (never another site: no open redirect)."""
    if not path or not path.startswith(PREFIX) or path.startswith("//") or "\\" in path or len(path) > 200:
        return PREFIX
    return path


def page_lang(lang: str | None) -> str:
    """The page language for a stored choice or a chat language."""
    return document_language(lang)


def browser_lang(request: Request) -> str:
    accept = request.headers.get("accept-language", "")
    lang = Lang.parse(accept.split(",")[0].split(";")[0])
    return document_language(lang.value if lang else None)


class DashboardApp:
    """The routes, on the composition root's unit of work factory and exporter (`attach`: the
    ASGI app's lifespan builds the composition root after the routes are declared)."""

    def __init__(self, settings: Any, athar: Any = None, clock: Callable[[], datetime] = utcnow):
        self.settings = settings.dashboard
        self.min_group_size = settings.polls.min_group_size
        self.clock = clock
        if athar is not None:
            self.attach(athar)

    def attach(self, athar: Any) -> None:
        self.athar = athar
        knowledge = athar.services.knowledge
        self.lesson_ids = tuple(m.id for m in knowledge.lessons) if knowledge is not None else ()
        exporter = athar.services.exporter
        if exporter is None:
            raise LookupError("the exporter is not installed (bot.services.exports.install)")
        self.exporter = exporter
        self.jobs = Jobs(
            athar.uow_factory, athar.dispatcher.read_uow_factory, self.exporter, clock=self.clock
        )

    def close(self) -> None:
        jobs = getattr(self, "jobs", None)
        if jobs is not None:
            jobs.close()

    # -- plumbing -------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        def r(path: str, endpoint: Callable[[Request], Any], method: str) -> Route:
            return Route(PREFIX + path, timed(endpoint), methods=[method])

        return [
            r("", self.home, "GET"),
            r("/", self.home, "GET"),
            r("/signin/{secret}", self.signin_page, "GET"),
            r("/signin/{secret}", self.signin, "POST"),
            r("/signout", self.signout, "POST"),
            r("/language", self.language, "POST"),
            r("/commune/{commune_id}", self.commune, "GET"),
            r("/project/{project_id:int}", self.project, "GET"),
            r("/poll/{poll_id:int}", self.poll, "GET"),
            r("/export", self.export, "POST"),
            r("/jobs/{public_id}", self.job, "GET"),
            r("/jobs/{public_id}/file", self.job_file, "GET"),
        ]

    def secure(self, request: Request) -> bool:
        return request.url.scheme == "https" or self.settings.url.startswith("https://")

    def html(self, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers=HEADERS)

    def page(self, lang: str) -> Page:
        return Page(lang, self.clock().date(), self.min_group_size)

    def message(
        self, lang: str, key: str, status: int, back: str | None = None, **params: Any
    ) -> HTMLResponse:
        p = self.page(lang)
        return self.html(render("error.html.j2", p, urls=Urls, message=p.t(key, **params), back=back), status)

    def audit(self, uow: Any, user_id: int | None, action: str, target: str, **detail: Any) -> None:
        uow.audit.add(AuditEntry(user_id=user_id, action=action, target=target, detail=detail))

    def _viewer(self, uow: Any, request: Request) -> Viewer | None:
        secret = request.cookies.get(COOKIE)
        if not secret or len(secret) > 200:
            return None
        token = uow.web.token("session", secret_hash(secret))
        if token is None or token.expires_at <= self.clock():
            return None
        user = uow.users.get(token.user_id)
        if not may_use(user):
            return None
        lang = uow.web.language(user.id) or page_lang(user.language)
        return Viewer(user, secret, page_lang(lang))

    def chrome(self, viewer: Viewer, request: Request) -> Chrome:
        p = self.page(viewer.lang)
        u = viewer.user
        if sees_everything(u):
            home, label = Urls.overview, p.t("dash.nav_overview")
        else:
            home, label = (
                Urls.commune(u.commune_id or ""),
                p.t(
                    "dash.signed_in_as_commune",
                    commune=self.exporter.commune(u.commune_id).name(viewer.lang)
                    if self.exporter.commune(u.commune_id)
                    else u.commune_id,
                ),
            )
        return Chrome(
            home=home,
            home_label=label,
            language_url=Urls.language,
            signout_url=Urls.signout,
            csrf=Markup(csrf_token(viewer.secret)),
            here=_url(request.url.path),
            export_url=Urls.export,
            formats={w: self.exporter.formats(w, sees_everything(u)) for w in WHAT},
        )

    async def _form(self, request: Request) -> dict[str, str] | None:
        """A small url-encoded form, or None (too big, another site's Origin)."""
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = urlsplit(origin).netloc
            if host != request.headers.get("host", "") and host != urlsplit(self.settings.url).netloc:
                return None
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_FORM):
            return None
        body = await request.body()
        if len(body) > MAX_FORM:
            return None
        from urllib.parse import parse_qsl

        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return None

    # -- pages --------------------------------------------------------------------------------------
    async def _show(
        self,
        request: Request,
        what: str,
        target: str,
        build: Callable[[Dashboard, Any, User], Any],
        template: str,
    ) -> Response:
        def work() -> Response:
            with self.athar.uow_factory() as uow:
                viewer = self._viewer(uow, request)
                if viewer is None:
                    self.audit(uow, None, "dashboard.refused", f"{what}:{target}", reason="signed_out")
                    uow.commit()
                    return self.message(browser_lang(request), "signin.needed", 401)
                d = Dashboard(self.exporter, self.clock().date(), viewer.lang, self.lesson_ids)
                try:
                    view = build(d, uow, viewer.user)
                except Forbidden:
                    self.audit(
                        uow, viewer.user.id, "dashboard.refused", f"{what}:{target}", reason="forbidden"
                    )
                    uow.commit()
                    return self.message(
                        viewer.lang, "error.forbidden", 403, back=self.chrome(viewer, request).home
                    )
                except NotFound:
                    uow.rollback()
                    return self.message(
                        viewer.lang, "error.not_found", 404, back=self.chrome(viewer, request).home
                    )
                urls = Urls if sees_everything(viewer.user) else OfficialUrls
                body = render(
                    template,
                    self.page(viewer.lang),
                    urls=urls,
                    chrome=self.chrome(viewer, request),
                    page=view,
                )
                self.audit(uow, viewer.user.id, "dashboard.view", f"{what}:{target}", lang=viewer.lang)
                uow.commit()
                return self.html(body)

        return await run_in_threadpool(work)

    async def home(self, request: Request) -> Response:
        def work() -> Response | None:
            with self.athar.uow_factory() as uow:
                viewer = self._viewer(uow, request)
                if viewer is not None and not sees_everything(viewer.user):
                    return RedirectResponse(
                        str(Urls.commune(viewer.user.commune_id or "")), 303, headers=HEADERS
                    )
            return None

        redirect = await run_in_threadpool(work)
        if redirect is not None:
            return redirect
        return await self._show(
            request, "overview", "programme", lambda d, uow, u: d.overview(uow, u), "overview.html.j2"
        )

    async def commune(self, request: Request) -> Response:
        cid = request.path_params["commune_id"][:64]
        return await self._show(
            request, "commune", cid, lambda d, uow, u: d.commune(uow, u, cid), "commune.html.j2"
        )

    async def project(self, request: Request) -> Response:
        pid = int(request.path_params["project_id"])
        return await self._show(
            request, "project", str(pid), lambda d, uow, u: d.project(uow, u, pid), "project.html.j2"
        )

    async def poll(self, request: Request) -> Response:
        pid = int(request.path_params["poll_id"])
        return await self._show(
            request, "poll", str(pid), lambda d, uow, u: d.poll(uow, u, pid), "poll.html.j2"
        )

    # -- signing in and out ---------------------------------------------------------------------
    def _link(self, uow: Any, secret: str) -> tuple[str, Any]:
        token = uow.web.token("link", secret_hash(secret)) if len(secret) <= 200 else None
        return link_state(token, self.clock()), token

    def _link_refused(self, uow: Any, request: Request, state: str, token: Any) -> Response:
        user = uow.users.get(token.user_id) if token is not None else None
        lang = page_lang(uow.web.language(user.id) or user.language) if user else browser_lang(request)
        self.audit(uow, user.id if user else None, "dashboard.refused", "signin", reason=f"link_{state}")
        uow.commit()
        status = 404 if state == "unknown" else 410
        return self.message(lang, f"signin.{state}", status)

    async def signin_page(self, request: Request) -> Response:
        secret = request.path_params["secret"]

        def work() -> Response:
            with self.athar.uow_factory() as uow:
                state, token = self._link(uow, secret)
                if state != "valid":
                    return self._link_refused(uow, request, state, token)
                user = uow.users.get(token.user_id)
                lang = page_lang(uow.web.language(user.id) or user.language) if user else "fr"
                p = self.page(lang)
                return self.html(render("signin.html.j2", p, urls=Urls, action=Urls.signin(secret)))

        return await run_in_threadpool(work)

    async def signin(self, request: Request) -> Response:
        secret = request.path_params["secret"]
        form = await self._form(request)

        def work() -> Response:
            with self.athar.uow_factory() as uow:
                if form is None:
                    return self.message(browser_lang(request), "signin.refused", 403)
                state, token = self._link(uow, secret)
                now = self.clock()
                if state != "valid" or not uow.web.use_link(token.token_hash, now):
                    state = state if state != "valid" else "used"  # another worker was first
                    return self._link_refused(uow, request, state, token)
                user = uow.users.get(token.user_id)
                if not may_use(user):
                    uow.rollback()
                    return self.message(browser_lang(request), "error.forbidden", 403)
                session_secret, session = new_token(
                    "session", user.id, now, timedelta(hours=self.settings.session_hours)
                )
                uow.web.add_token(session)
                self.audit(uow, user.id, "dashboard.signin", "session")
                uow.commit()
            home = Urls.overview if sees_everything(user) else Urls.commune(user.commune_id or "")
            response = RedirectResponse(str(home), 303, headers=HEADERS)
            response.set_cookie(
                COOKIE,
                session_secret,
                max_age=int(self.settings.session_hours * 3600),
                path=PREFIX,
                secure=self.secure(request),
                httponly=True,
                samesite="lax",
            )
            return response

        return await run_in_threadpool(work)

    async def _posted(
        self, request: Request, act: Callable[[Any, Viewer, dict[str, str]], Response]
    ) -> Response:
        """A signed-in form: its CSRF token checked (and its origin, in _form), then `act` in
        one unit of work; anything else is refused (403)."""
        form = await self._form(request)

        def work() -> Response:
            with self.athar.uow_factory() as uow:
                viewer = self._viewer(uow, request)
                if (
                    viewer is None
                    or form is None
                    or not same_secret(form.get("csrf"), csrf_token(viewer.secret))
                ):
                    uow.rollback()
                    return self.message(
                        browser_lang(request) if viewer is None else viewer.lang, "signin.refused", 403
                    )
                return act(uow, viewer, form)

        return await run_in_threadpool(work)

    async def signout(self, request: Request) -> Response:
        def act(uow: Any, viewer: Viewer, form: dict[str, str]) -> Response:
            uow.web.drop_token("session", secret_hash(viewer.secret))
            self.audit(uow, viewer.user.id, "dashboard.signout", "session")
            uow.commit()
            response = self.message(viewer.lang, "signin.signed_out", 200)
            response.delete_cookie(
                COOKIE, path=PREFIX, secure=self.secure(request), httponly=True, samesite="lax"
            )
            return response

        return await self._posted(request, act)

    async def export(self, request: Request) -> Response:
        """A download asked for: checked (job_for), stored, started; the job's page follows (a
        quick file is ready by then: the POST waits up to WAIT seconds for it)."""

        def act(uow: Any, viewer: Viewer, form: dict[str, str]) -> Response:
            job = job_for(form, viewer.user, uow, self.exporter)
            target = f"export:{form.get('what', '')[:30]}"
            if job is None:
                self.audit(uow, viewer.user.id, "dashboard.refused", target, reason="export")
                uow.commit()
                return self.message(
                    viewer.lang, "download.refused", 403, back=self.chrome(viewer, request).home
                )
            stored = self.jobs.submit(uow, viewer.user, job)
            self.audit(uow, viewer.user.id, "dashboard.export", target, fmt=job.fmt, lang=job.lang)
            uow.commit()
            future = self.jobs.start(stored.public_id)
            try:
                future.result(timeout=WAIT)
            except Exception:  # noqa: BLE001 - still running (or failed): its page tells
                pass
            return RedirectResponse(
                str(Urls.job(stored.public_id, _back(form.get("back")))), 303, headers=HEADERS
            )

        return await self._posted(request, act)

    def _own_job(self, uow: Any, viewer: Viewer, public_id: str) -> Any:
        job = uow.web.job(public_id[:64])
        return job if job is not None and job.user_id == viewer.user.id else None

    async def job(self, request: Request) -> Response:
        public_id = request.path_params["public_id"]

        def work() -> Response:
            with self.athar.uow_factory() as uow:
                viewer = self._viewer(uow, request)
                if viewer is None:
                    return self.message(browser_lang(request), "signin.needed", 401)
                job = self._own_job(uow, viewer, public_id)
                if job is None:
                    return self.message(
                        viewer.lang, "error.not_found", 404, back=self.chrome(viewer, request).home
                    )
                state = self.jobs.state(job)
                p = self.page(viewer.lang)
                body = render(
                    "job.html.j2",
                    p,
                    urls=Urls,
                    chrome=self.chrome(viewer, request),
                    state=state,
                    error=(
                        f"job.error.{job.error.split('.', 1)[1]}" if state == "failed" and job.error else None
                    ),
                    seconds=max(0, int((self.clock() - (job.started_at or job.created_at)).total_seconds())),
                    name=Path(job.path).name if job.path else "",
                    file_url=Urls.job_file(job.public_id),
                    back=_url(_back(request.query_params.get("back"))),
                )
                return self.html(body)

        return await run_in_threadpool(work)

    async def job_file(self, request: Request) -> Response:
        public_id = request.path_params["public_id"]

        def work() -> Response:
            with self.athar.uow_factory() as uow:
                viewer = self._viewer(uow, request)
                if viewer is None:
                    return self.message(browser_lang(request), "signin.needed", 401)
                job = self._own_job(uow, viewer, public_id)
                if job is None or self.jobs.state(job) != "done":
                    return self.message(
                        viewer.lang, "error.not_found", 404, back=self.chrome(viewer, request).home
                    )
                self.audit(
                    uow,
                    viewer.user.id,
                    "dashboard.download",
                    f"export:{job.params.get('what', '')}",
                    fmt=job.params.get("fmt"),
                )
                uow.commit()
                path = Path(job.path or "")
                return FileResponse(path, filename=path.name, headers=HEADERS)

        return await run_in_threadpool(work)

    async def language(self, request: Request) -> Response:
        def act(uow: Any, viewer: Viewer, form: dict[str, str]) -> Response:
            lang = form.get("lang")
            if lang in ("fr", "ar"):
                uow.web.set_language(viewer.user.id, lang)
                uow.commit()
            return RedirectResponse(_back(form.get("next")), 303, headers=HEADERS)

        return await self._posted(request, act)
