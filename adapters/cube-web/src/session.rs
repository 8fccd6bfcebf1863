//! Who is looking at a page, and in which language: the [`Viewer`] extractor reads the
//! API's session cookie (one login for both), applies the API's CSRF rule to unsafe
//! requests, and sends a browser without a session to the login page. [`WebError`] is how
//! a page or a partial says something went wrong, in the viewer's language.

use crate::WebState;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::views;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cube_app::{AppError, ErrorKind};
use cube_domain::access::User;
use cube_session::CSRF_HEADER;

/// The logged-in user looking at a page, their language, and whether the request came
/// from htmx (a partial is answered then, not a page).
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The user.
    pub user: User,
    /// Their language.
    pub lang: Lang,
    /// Whether htmx sent the request.
    pub htmx: bool,
}

/// The language of a request, for pages shown before a login.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
}

pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::choose(cube_session::cookie(cookies(headers), LANG_COOKIE), accept)
}

pub(crate) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(lang_of(&parts.headers)))
    }
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        let lang = lang_of(&parts.headers);
        let htmx = is_htmx(&parts.headers);
        let token = cube_session::session_token(cookies(&parts.headers))
            .ok_or(WebError::LoggedOut { htmx })?;
        let guard = parts.headers.get(CSRF_HEADER.0).map(HeaderValue::as_bytes);
        if !cube_session::csrf_guard_passes(parts.method.as_str(), guard) {
            return Err(WebError::Csrf { lang });
        }
        match state
            .cube
            .authenticate(&cube_session::token_hash(token))
            .await
        {
            Ok((user, _)) => Ok(Viewer { user, lang, htmx }),
            Err(AppError::Unauthenticated) => Err(WebError::LoggedOut { htmx }),
            Err(other) => Err(WebError::App {
                error: other,
                lang,
                htmx,
            }),
        }
    }
}

/// Why a page or a partial could not be answered.
#[derive(Debug)]
pub enum WebError {
    /// No session, or it ran out: to the login page.
    LoggedOut {
        /// Whether htmx asked (it follows `HX-Redirect`, not a 303).
        htmx: bool,
    },
    /// An unsafe request without the CSRF header.
    Csrf {
        /// The language to say it in.
        lang: Lang,
    },
    /// A use case refused or failed.
    App {
        /// The error.
        error: AppError,
        /// The language to say it in.
        lang: Lang,
        /// Whether to answer a partial.
        htmx: bool,
    },
    /// The form was not what the page sent.
    Form {
        /// What to fix.
        detail: String,
        /// The language to say it in.
        lang: Lang,
    },
    /// A template failed to render: a fault of ours.
    Render(String),
}

impl WebError {
    /// A use case's error on a page a user may not use: "not yours" reads as "not there"
    /// (a page never says a thing exists to someone who may not see it).
    pub fn hidden(viewer: &Viewer) -> impl Fn(AppError) -> WebError + '_ {
        move |error| {
            if error.kind() == ErrorKind::Forbidden {
                WebError::app(AppError::NotFound("page"), viewer)
            } else {
                WebError::app(error, viewer)
            }
        }
    }

    /// The id in a path segment, or the page for a path that is not there.
    pub fn path_id<T>(
        raw: &str,
        viewer: &Viewer,
        make: fn(uuid::Uuid) -> T,
    ) -> Result<T, WebError> {
        raw.parse::<uuid::Uuid>()
            .map(make)
            .map_err(|_| WebError::app(AppError::NotFound("page"), viewer))
    }

    /// A use case's error, for `viewer`.
    pub fn app(error: AppError, viewer: &Viewer) -> Self {
        WebError::App {
            error,
            lang: viewer.lang,
            htmx: viewer.htmx,
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        WebError::Render(error.to_string())
    }
}

fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Stale => StatusCode::PRECONDITION_FAILED,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::LoggedOut { htmx: true } => {
                (StatusCode::UNAUTHORIZED, [("hx-redirect", "/app/login")]).into_response()
            }
            WebError::LoggedOut { htmx: false } => Redirect::to("/app/login").into_response(),
            WebError::Csrf { lang } => views::problem(
                StatusCode::FORBIDDEN,
                lang,
                lang.error(ErrorKind::Forbidden),
                "send the header X-Requested-With: cube with every form (the pages do)",
                true,
            ),
            WebError::App { error, lang, htmx } => {
                let kind = error.kind();
                if kind == ErrorKind::Internal || kind == ErrorKind::Unavailable {
                    tracing::warn!(%error, "a page's use case failed");
                }
                if kind == ErrorKind::NotFound && !htmx {
                    return views::not_found(lang);
                }
                views::problem(
                    status_of(kind),
                    lang,
                    lang.error(kind),
                    &lang.error_detail(&error),
                    htmx,
                )
            }
            WebError::Form { detail, lang } => views::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                lang.error(ErrorKind::Invalid),
                &detail,
                true,
            ),
            WebError::Render(detail) => {
                tracing::error!(%detail, "a page failed to render");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page failed to render",
                )
                    .into_response()
            }
        }
    }
}
